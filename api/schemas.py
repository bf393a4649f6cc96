"""Response bodies shared by many routes, and how a route declares the errors it answers.

One class name is one Struct across ``api/``: the OpenAPI document names models by their
title, so two ``Detail`` classes would give client generators two models with one name (they
keep the first and drop every response that refers to the other).
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPI, OpenAPIMediaType, OpenAPIResponse, Operation, PathItem


class Detail(msgspec.Struct):
    """A confirmation: ``{"detail": "Course deleted"}``."""

    detail: str


class Ok(msgspec.Struct):
    """OpenLearning's acknowledgement: ``{"ok": true}``."""

    ok: bool = True


class ValidationProblem(msgspec.Struct, kw_only=True):
    """One item of FastAPI's validation error, which the OpenLearning routes answer (seed 002)."""

    type: str
    loc: list[str]
    msg: str
    input: Any = None


class ErrorBody(msgspec.Struct, kw_only=True):
    """Every error the API sends (``api.errors``): ``detail`` and ``code``, plus ``field`` for a
    bad input, ``retry_after`` for a lockout, ``errors`` for the validator's details and
    ``message`` (the same text as ``detail``) on LearningStudio's generation routes. ``detail``
    is one sentence, except in a 422 of an OpenLearning route: FastAPI's list of problems."""

    detail: str | list[ValidationProblem]
    code: str
    field: str | None = None
    retry_after: int | None = None
    errors: list[dict[str, Any]] | None = None
    message: str | None = None


WHY = {
    400: "The request breaks a rule of the domain",
    401: "No valid credential",
    403: "The caller lacks the right",
    404: "Not found",
    409: "Conflicts with the current state",
    410: "Gone",
    413: "Request body or upload too large",
    422: "Invalid input (`field` names it)",
    429: "Rate limit or login lockout (see Retry-After)",
    502: "The model provider failed or could not be reached",
    503: "Service unavailable",
    504: "The model provider timed out",
}


def errors(*statuses: int) -> dict[int, ResponseSpec]:
    """``responses=errors(401, 404)`` on a handler: the error statuses it really answers.

    429 is always among them: the rate limiter stands in front of every API route.
    """
    return {
        status: ResponseSpec(
            ErrorBody, generate_examples=False, description=WHY.get(status) or HTTPStatus(status).phrase
        )
        for status in sorted({*statuses, 429})
    }


def answered_as(*media_types: str) -> type[Operation]:
    """An ``operation_class`` whose success response lists every media type the handler may
    answer with, in this order (a ``ResponseSpec`` names one). Client generators take the
    first they can read, so a format they do not know (NDJSON) needs a readable one beside it.
    """

    @dataclass
    class AnsweredAs(Operation):
        def __post_init__(self) -> None:
            for status, response in (self.responses or {}).items():
                if status.startswith("2") and isinstance(response, OpenAPIResponse) and response.content:
                    schema = next(iter(response.content.values())).schema
                    response.content = {media: OpenAPIMediaType(schema=schema) for media in media_types}

    return AnsweredAs


#: the description of the 400 Litestar adds to every operation with a body or parameters
_GENERIC_400 = "Validation Exception"
_METHODS = ("get", "put", "post", "delete", "patch")


def drop_generic_validation_responses(document: OpenAPI) -> OpenAPI:
    """Remove Litestar's generic 400 from every operation (there is no switch for it).

    It describes Litestar's own error shape, which this API never sends (``api.errors`` turns
    validation failures into a 422 ``ErrorBody``), and its schema is one generators cannot
    read. A 400 a handler declares itself replaces it and is kept.
    """
    for item in (document.paths or {}).values():
        if not isinstance(item, PathItem):
            continue
        for method in _METHODS:
            operation = getattr(item, method)
            if not isinstance(operation, Operation) or not operation.responses:
                continue
            content = getattr(operation.responses.get("400"), "content", None) or {}
            schemas = [getattr(media, "schema", None) for media in content.values()]
            if any(getattr(schema, "description", None) == _GENERIC_400 for schema in schemas):
                del operation.responses["400"]
    return document

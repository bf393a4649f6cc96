"""One table maps domain errors to HTTP; every error body is ``{"detail", "code"}``.

A 422 on the OpenLearning routes (``/api/…`` outside ``/api/v1``) is FastAPI's standard
validation error, as seed 002 says: ``detail`` is a list of ``{"type", "loc", "msg", "input"}``
items (``code`` and ``field`` stay beside it). Everywhere else ``detail`` is one sentence."""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from api.schemas import ValidationProblem
from application.language_model import ModelError, ModelRateLimited, seed_error
from domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    InvalidInput,
    Locked,
    NotFound,
    PayloadTooLarge,
    RuleBroken,
    Unauthenticated,
)

log = logging.getLogger("learnstream.api")

STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    Forbidden: 403,
    Unauthenticated: 401,
    Conflict: 409,
    RuleBroken: 400,
    InvalidInput: 422,
    Locked: 429,
    Gone: 410,
    PayloadTooLarge: 413,
}
HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    410: "GONE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMIT_EXCEEDED",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
}


def error_response(
    status: int, detail: str, code: str | None = None, headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[Any]:
    headers = dict(headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    body = {"detail": detail, "code": code or HTTP_CODES.get(status, "ERROR"), **extra}
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def fastapi_surface(request: Request[Any, Any, Any]) -> bool:
    """The OpenLearning routes, whose server is FastAPI (seed 002)."""
    path = request.scope.get("path", "")
    return path.startswith("/api/") and not path.startswith("/api/v1/")


def validation_response(
    request: Request[Any, Any, Any], detail: str, field: str | None, message: str, source: str = "body",
    **extra: Any,
) -> Response[Any]:
    """A 422: FastAPI's list on the OpenLearning routes, one sentence elsewhere."""
    if not fastapi_surface(request):
        return error_response(422, detail, "VALIDATION_ERROR", field=field, **extra)
    problem = ValidationProblem(
        type="missing" if message == "Field required" else "value_error",
        loc=[source, *(field.split(".") if field and field != source else [])],
        msg=message,
    )
    body = {"detail": [problem], "code": "VALIDATION_ERROR", "field": field}
    return Response(body, status_code=422, media_type="application/json")


def domain_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, DomainError)
    if isinstance(exc, InvalidInput) and fastapi_surface(request):
        return validation_response(request, exc.detail, exc.field or None, exc.detail)
    status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
    headers = {}
    extra: dict[str, Any] = {}
    if isinstance(exc, Locked):
        headers["Retry-After"] = str(exc.retry_after)
        extra["retry_after"] = exc.retry_after
    if isinstance(exc, InvalidInput) and exc.field:
        extra["field"] = exc.field
    return error_response(status, exc.detail, exc.code, headers, **extra)


_MISSING = re.compile(r"missing required field `([^`]+)`")
_AT = re.compile(r" - at `\$\.?([^`]*)`")


def _field_of(item: dict[str, Any]) -> str:
    """The client's name for the bad field (Litestar reports a missing body field as ``data``)."""
    message = str(item.get("message") or "")
    key = str(item.get("key") or "")
    at = _AT.search(message)
    path = at.group(1) if at else ""
    missing = _MISSING.search(message)
    if missing:
        return f"{path}.{missing.group(1)}" if path else missing.group(1)
    if path:
        return path
    return "" if key in ("", "data") else key.lstrip("$.")


def validation_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, ValidationException)
    problems = exc.extra if isinstance(exc.extra, list) else []
    if problems:
        first = problems[0] if isinstance(problems[0], dict) else {"message": str(problems[0])}
        field = _field_of(first)
        message = _AT.sub("", str(first.get("message") or exc.detail))
        if _MISSING.search(message):
            message = "Field required"
        detail = f"{field}: {message}" if field else message
        source = str(first.get("source") or "body")
        return validation_response(request, detail, field or None, message, source, errors=problems)
    return validation_response(request, str(exc.detail), None, str(exc.detail))


# msgspec's words for a body that is not JSON at all, or an empty or cut-off one
MALFORMED_BODY = ("JSON is malformed", "Input data was truncated")


def http_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    detail = str(exc.detail)
    if status == 400 and "validation" in detail.lower():
        status = 422
    if status == 400 and detail.startswith(MALFORMED_BODY):
        return validation_response(request, f"body: {detail}", "body", detail)
    if status == 422:
        return validation_response(request, detail, None, detail)
    return error_response(status, detail, None, dict(exc.headers or {}))


def model_error_handler(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The seed's Anthropic error table (401, 429 with ``Retry-After``, 502, 504) for every
    JSON route that calls a model; SSE streams send the same as ``[ERROR]`` frames."""
    assert isinstance(exc, ModelError)
    status, detail = seed_error(exc)
    headers = {}
    if isinstance(exc, ModelRateLimited) and exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    log.warning("model call failed: %s", exc.code)
    return error_response(status, detail, exc.code.upper(), headers)


def unexpected_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(HTTP_500_INTERNAL_SERVER_ERROR, "Internal server error")


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    DomainError: domain_error_handler,
    ModelError: model_error_handler,
    ValidationException: validation_handler,
    HTTPException: http_error_handler,
    Exception: unexpected_error_handler,
}

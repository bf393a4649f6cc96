"""Multipart form fields as the routes read them (LearnHouse sends files and flags as form data),
and the OpenAPI request bodies of the routes that read their form themselves.

Those routes call ``request.form()`` (LearnHouse's lenient booleans, JSON text fields, a 413 per
upload), so Litestar sees no ``data`` parameter and would document no body at all. Each declares
the form it reads with ``operation_class=form_operation(...)`` so generated clients can send it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from litestar.datastructures import UploadFile
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    Parameter,
    RequestBody,
    Schema,
)

from application.uploads import Upload, check_size
from domain.errors import InvalidInput

TRUE = {"true", "1", "yes", "on"}
FALSE = {"false", "0", "no", "off"}


def form_text(form: Any, name: str, default: str | None = None) -> str:
    value = form.get(name)
    if value is None or isinstance(value, UploadFile):
        if default is None:
            raise InvalidInput(f"{name}: Field required", field=name)
        return default
    return str(value)


def form_flag(form: Any, name: str, default: bool) -> bool:
    raw = form.get(name)
    if raw is None or isinstance(raw, UploadFile) or str(raw).strip() == "":
        return default
    text = str(raw).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise InvalidInput(f"{name}: value is not a valid boolean", field=name)


def form_json(form: Any, name: str) -> dict[str, Any]:
    raw = form.get(name)
    if raw is None or isinstance(raw, UploadFile) or not str(raw).strip():
        return {}
    try:
        value = json.loads(str(raw))
    except ValueError:
        raise InvalidInput(f"{name}: not valid JSON", field=name) from None
    if not isinstance(value, dict):
        raise InvalidInput(f"{name}: must be a JSON object", field=name)
    return value


async def form_file(form: Any, names: tuple[str, ...], limit: int) -> Upload | None:
    """The first non-empty file among ``names``; 413 when it is over ``limit``."""
    for name in names:
        value = form.get(name)
        if isinstance(value, UploadFile) and value.filename:
            upload = Upload(
                filename=value.filename, content_type=value.content_type or "", data=await value.read()
            )
            check_size(upload, limit)
            return upload
    return None


TEXT = Schema(type=OpenAPIType.STRING)
#: the services strip a name, then refuse it when empty
NAME = Schema(type=OpenAPIType.STRING, min_length=1, pattern=r"\S")
FLAG = Schema(type=OpenAPIType.BOOLEAN)
FILE = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
ID = Schema(one_of=[Schema(type=OpenAPIType.INTEGER), Schema(type=OpenAPIType.STRING)])
#: a part holding a JSON object (OpenAPI's default encoding for an object field of a form)
OBJECT = Schema(type=OpenAPIType.OBJECT, additional_properties=Schema())


def form_operation(
    fields: Mapping[str, Schema],
    required: Sequence[str],
    *,
    json_body: Schema | None = None,
    required_query: Sequence[str] = (),
) -> type[Operation]:
    """An ``operation_class`` whose request body is this multipart form, or ``json_body`` too.

    ``required_query`` names query parameters the form branch needs although the handler
    declares them optional (the JSON branch does without them).
    """
    content = {
        "multipart/form-data": OpenAPIMediaType(
            schema=Schema(type=OpenAPIType.OBJECT, properties=dict(fields), required=list(required))
        )
    }
    if json_body is not None:
        content["application/json"] = OpenAPIMediaType(schema=json_body)

    @dataclass
    class FormOperation(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(content=content, required=True)
            for parameter in self.parameters or []:
                if isinstance(parameter, Parameter) and parameter.name in required_query:
                    parameter.required = True
                    parameter.schema = TEXT

    return FormOperation

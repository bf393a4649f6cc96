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
from domain.generation_jobs import ADD_ONS, FORMATS, LANGUAGES, OUTLINE_MAX, SUBJECT_MAX, TITLE_MAX

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


def _object(properties: Mapping[str, Schema], required: Sequence[str]) -> Schema:
    return Schema(type=OpenAPIType.OBJECT, properties=dict(properties), required=list(required))


def _one_of(values: Sequence[str]) -> Schema:
    return Schema(type=OpenAPIType.STRING, enum=list(values))


#: LearnHouse's course form; LearningStudio's generation request (camelCase, seed 001) is the
#: JSON body of the same route. The form branch needs ``?org_id=``.
COURSE_FORM = form_operation(
    {
        "name": NAME, "description": NAME, "about": NAME, "learnings": TEXT, "tags": TEXT,
        "public": FLAG, "published": FLAG, "thumbnail": FILE,
    },
    ("name", "description", "about"),
    json_body=_object(
        {
            "subject": Schema(type=OpenAPIType.STRING, min_length=1, max_length=SUBJECT_MAX, pattern=r"\S"),
            "format": _one_of(FORMATS),
            "languageId": _one_of(LANGUAGES),
            "outline": Schema(
                type=OpenAPIType.ARRAY, max_items=OUTLINE_MAX,
                items=Schema(type=OpenAPIType.STRING, min_length=1, max_length=TITLE_MAX, pattern=r"\S"),
            ),
            "addOns": Schema(type=OpenAPIType.ARRAY, items=_one_of(ADD_ONS)),
            "callbackUrl": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.URI),
        },
        ("subject",),
    ),
)

_ACTIVITY_FIELDS = {
    "name": NAME, "chapter_id": ID, "content": OBJECT, "details": OBJECT, "published": FLAG,
    "lock_type": TEXT,
}
_TYPED = {"activity_type": TEXT, "activity_sub_type": TEXT}
#: any activity: JSON, or a form with an optional ``file`` (hosted video, PDF)
ACTIVITY_FORM = form_operation(
    {**_ACTIVITY_FIELDS, **_TYPED, "file": FILE},
    ("name", "chapter_id"),
    json_body=_object({**_ACTIVITY_FIELDS, **_TYPED}, ("name", "chapter_id")),
)
VIDEO_FORM = form_operation({**_ACTIVITY_FIELDS, "video_file": FILE}, ("name", "chapter_id"))
PDF_FORM = form_operation({**_ACTIVITY_FIELDS, "pdf_file": FILE}, ("name", "chapter_id"))

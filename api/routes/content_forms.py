"""Shared helpers for content routes: multipart parsing and the 413 mapping for uploads."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response
from litestar.datastructures import UploadFile

from api.errors import error_response
from application.activities import FileUpload, UploadTooLarge
from domain.errors import InvalidInput

TRUE = {"true", "1", "yes", "on"}
FALSE = {"false", "0", "no", "off"}


def too_large_handler(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, UploadTooLarge)
    return error_response(413, exc.detail, exc.code)


UPLOAD_HANDLERS: dict[type[Exception] | int, Any] = {UploadTooLarge: too_large_handler}


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


async def form_file(form: Any, names: tuple[str, ...], limit: int) -> FileUpload | None:
    for name in names:
        value = form.get(name)
        if isinstance(value, UploadFile) and value.filename:
            data = await value.read()
            if len(data) > limit:
                raise UploadTooLarge(f"File is larger than the {limit} bytes allowed")
            return FileUpload(
                filename=value.filename, content_type=value.content_type or "", data=data
            )
    return None

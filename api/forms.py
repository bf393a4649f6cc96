"""Multipart form fields as the routes read them (LearnHouse sends files and flags as form data)."""

from __future__ import annotations

import json
from typing import Any

from litestar.datastructures import UploadFile

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

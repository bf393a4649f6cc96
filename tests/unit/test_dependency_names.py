"""No dependency shares its name with a request field or parameter of any route.

Litestar reports a bad body field by its name; when that name is also a dependency's, it takes
the client's error for a broken dependency and answers 500 (``content`` of an activity did,
while the Content service was provided as ``content``).
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.di import Provide
from litestar.testing import TestClient

from api.app import ROUTE_HANDLERS
from api.dependencies import RENAMED, SERVICES, provided_names
from api.errors import EXCEPTION_HANDLERS
from api.routes.docs import openapi_document


def _stub() -> Provide:
    def nothing() -> None:
        return None

    return Provide(nothing, sync_to_thread=False)


def _app() -> Litestar:
    """The routes with every dependency present (none is called before validation)."""
    return Litestar(
        route_handlers=ROUTE_HANDLERS,
        dependencies={name: _stub() for name in provided_names()},
        exception_handlers=EXCEPTION_HANDLERS,
    )


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document(_app())


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return components[ref.rsplit("/", 1)[-1]] if ref else schema


def _field_names(schema: dict[str, Any], components: dict[str, Any]) -> set[str]:
    schema = _resolve(schema, components)
    names = set(schema.get("properties") or {})
    for key in ("oneOf", "anyOf", "allOf"):
        for member in schema.get(key) or []:
            names |= _field_names(member, components)
    return names


def _request_names(document: dict[str, Any]) -> dict[str, set[str]]:
    """Every body field and parameter name, with the operations that use it."""
    components = document["components"]["schemas"]
    found: dict[str, set[str]] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            names = {parameter["name"] for parameter in operation.get("parameters") or []}
            for media in (operation.get("requestBody") or {}).get("content", {}).values():
                names |= _field_names(media.get("schema") or {}, components)
            for name in names:
                found.setdefault(name, set()).add(f"{method.upper()} {path}")
    return found


def test_no_dependency_is_named_like_a_request_field(document: dict[str, Any]) -> None:
    used = _request_names(document)
    clashes = {name: sorted(used[name]) for name in provided_names() if name in used}
    assert clashes == {}


def test_the_content_service_is_provided_under_its_own_name(document: dict[str, Any]) -> None:
    # the field that once answered 500: an activity's ``content``
    assert "PUT /api/v1/activities/{activity_uuid}" in _request_names(document)["content"]
    assert "content" not in provided_names() and RENAMED["course_content"] == "content"
    assert "content" not in SERVICES


def test_a_bad_activity_content_is_a_422() -> None:
    with TestClient(app=_app()) as client:
        response = client.put("/api/v1/activities/activity_x", json={"content": [None]})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "content"

"""The OpenAPI document and viewers live where seed 000 says; unknown paths stay JSON 404s."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_openapi_json_and_viewers_are_served_and_unknown_paths_are_json_404(client):
    spec = client.get("/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    assert "/api/v1/courses/org_slug/{slug}/page/{page}/limit/{limit}" in paths
    assert all(op.get("operationId") for item in paths.values() for op in item.values() if isinstance(op, dict))
    for viewer in ("/docs", "/api/docs", "/redoc"):
        page = client.get(viewer)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    for method in ("get", "post"):
        missing = getattr(client, method)("/no/such/route")
        assert missing.status_code == 404
        assert missing.json() == {"detail": "Not Found", "code": "NOT_FOUND"}

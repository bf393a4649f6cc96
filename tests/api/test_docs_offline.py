"""The API docs work on a machine without internet: every page loads its scripts, styles and
icon from this server, and the served document carries only the error responses the API sends."""

from __future__ import annotations

import re
from typing import Any

import pytest

PAGES = ("/docs", "/api/docs", "/redoc", "/schema/swagger", "/schema/redoc")
# every URL a page loads or links: src=/href= attributes and CSS url(...)
REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\(\s*["']?([^"')]+)""")
ASSET_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _references(html: str) -> list[str]:
    return [a or b for a, b in REFERENCE.findall(html)]


@pytest.mark.parametrize("page", PAGES)
def test_a_docs_page_loads_everything_from_this_server(client: Any, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    html = response.text
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html, html
    references = _references(html)
    assert references, html  # the viewer's script at least
    for url in references:
        assert url.startswith("/docs-assets/"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        kind = next(v for k, v in ASSET_TYPES.items() if url.endswith(k))
        assert kind in asset.headers["content-type"], (url, asset.headers["content-type"])
    # ReDoc's bundle asks a CDN for its footer logo: the page's policy stops the browser.
    if page in ("/docs", "/api/docs", "/redoc"):
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "img-src 'self' data:" in policy


def test_the_viewers_load_the_swagger_and_redoc_bundles(client: Any) -> None:
    swagger = _references(client.get("/docs").text)
    redoc = _references(client.get("/redoc").text)
    assert "/docs-assets/swagger-ui/swagger-ui-bundle.js" in swagger
    assert "/docs-assets/swagger-ui/swagger-ui.css" in swagger
    assert "/docs-assets/redoc/redoc.standalone.js" in redoc


def test_an_unknown_asset_is_a_json_404(client: Any) -> None:
    missing = client.get("/docs-assets/swagger-ui/no-such-file.js")
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"


def test_every_error_response_in_the_document_is_the_error_body(client: Any) -> None:
    document = client.get("/openapi.json").json()
    assert document == client.get("/schema/openapi.json").json()
    error_body = document["components"]["schemas"]["ErrorBody"]
    assert {"detail", "code"} <= set(error_body["required"])
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if not status.startswith(("4", "5")) or (path, status) == ("/api/health", "503"):
                    continue
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)

"""The OpenAPI document and its viewers at the paths the seeds use: ``/openapi.json`` (every
instance), ``/docs`` and ``/api/docs`` (Swagger UI), ``/redoc``.

Litestar's own OpenAPI controller lives under ``/schema``; mounting it at ``/`` would make it
answer every unknown GET with an HTML page instead of our JSON 404. The viewers' scripts,
styles and icon are served from ``/docs-assets`` (vendored in ``api/docs_assets``), never from
a CDN: the docs work on a machine without internet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import JsonRenderPlugin, RedocRenderPlugin, SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

from api.schemas import drop_generic_validation_responses

ASSETS = "/docs-assets"
# Litestar's default favicon is a CDN URL
_FAVICON = f"<link rel='icon' type='image/png' href='{ASSETS}/swagger-ui/favicon-32x32.png'>"

SWAGGER = SwaggerRenderPlugin(
    path="/swagger",
    js_url=f"{ASSETS}/swagger-ui/swagger-ui-bundle.js",
    css_url=f"{ASSETS}/swagger-ui/swagger-ui.css",
    standalone_preset_js_url=f"{ASSETS}/swagger-ui/swagger-ui-standalone-preset.js",
    favicon=_FAVICON,
)
REDOC = RedocRenderPlugin(
    path="/redoc", js_url=f"{ASSETS}/redoc/redoc.standalone.js", google_fonts=False, favicon=_FAVICON
)

# ReDoc's footer asks a CDN for its logo (hard-coded in the bundle); this policy keeps the
# browser from asking. Inline scripts and styles are the viewers' own start-up code, and ReDoc
# runs its search in a blob worker.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'"
)
_HTML_HEADERS = {"Content-Security-Policy": DOCS_CSP}


def openapi_document(app: Litestar) -> dict[str, Any]:
    """The document every viewer shows, built on first use and kept (building it costs a
    fraction of a second, too much for every app a test creates)."""
    cached = app.state.get("openapi_document")
    if cached is None:
        document = drop_generic_validation_responses(app.openapi_schema)
        cached = app.state["openapi_document"] = document.to_schema()
    return dict(cached)


class DocumentJson(JsonRenderPlugin):
    """Litestar's ``/schema/openapi.json``, showing the same document as ``/openapi.json``."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, openapi_document(request.app))


@get("/openapi.json", include_in_schema=False, sync_to_thread=False)
def openapi_json(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    return Response(openapi_document(request.app), media_type="application/json")


@get(["/docs", "/api/docs"], include_in_schema=False, sync_to_thread=False)
def swagger_ui(request: Request[Any, Any, Any]) -> Response[bytes]:
    page = SWAGGER.render(request, openapi_document(request.app))
    return Response(page, media_type="text/html", headers=_HTML_HEADERS)


@get("/redoc", include_in_schema=False, sync_to_thread=False)
def redoc(request: Request[Any, Any, Any]) -> Response[bytes]:
    page = REDOC.render(request, openapi_document(request.app))
    return Response(page, media_type="text/html", headers=_HTML_HEADERS)


docs_assets = create_static_files_router(
    path=ASSETS,
    directories=[Path(__file__).resolve().parent.parent / "docs_assets"],
    name="docs_assets",
    cache_control=CacheControlHeader(max_age=86400, public=True),
    include_in_schema=False,
)

DOC_ROUTES = [openapi_json, swagger_ui, redoc, docs_assets]

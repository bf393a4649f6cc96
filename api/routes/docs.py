"""The OpenAPI document and its viewers at the paths the seeds use: ``/openapi.json`` (every
instance), ``/docs`` and ``/api/docs`` (Swagger UI), ``/redoc``.

Litestar's own OpenAPI controller lives under ``/schema``; mounting it at ``/`` would make it
answer every unknown GET with an HTML page instead of our JSON 404.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.openapi.plugins import RedocRenderPlugin, SwaggerRenderPlugin

_SWAGGER = SwaggerRenderPlugin()
_REDOC = RedocRenderPlugin()


def _schema(request: Request[Any, Any, Any]) -> dict[str, Any]:
    state = request.app.state
    cached = state.get("openapi_document")
    if cached is None:
        cached = state["openapi_document"] = request.app.openapi_schema.to_schema()
    return dict(cached)


@get("/openapi.json", include_in_schema=False, sync_to_thread=False)
def openapi_json(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    return Response(_schema(request), media_type="application/json")


@get(["/docs", "/api/docs"], include_in_schema=False, sync_to_thread=False)
def swagger_ui(request: Request[Any, Any, Any]) -> Response[bytes]:
    return Response(_SWAGGER.render(request, _schema(request)), media_type="text/html")


@get("/redoc", include_in_schema=False, sync_to_thread=False)
def redoc(request: Request[Any, Any, Any]) -> Response[bytes]:
    return Response(_REDOC.render(request, _schema(request)), media_type="text/html")


DOC_ROUTES = [openapi_json, swagger_ui, redoc]

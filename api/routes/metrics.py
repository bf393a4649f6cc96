"""GET /metrics: Prometheus text format, for a bearer token or, without one, loopback only.

Without ``LEARNSTREAM_METRICS_TOKEN`` only a client on this host may scrape. Behind a reverse
proxy on the same host every client looks local unless ``LEARNSTREAM_TRUSTED_PROXIES`` names
the proxy (then its forwarded address is the client's): set a token there, or name it.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State

from api.errors import error_response
from infrastructure.metrics import CONTENT_TYPE, exposition, scrape_allowed


@get("/metrics", include_in_schema=False, sync_to_thread=True)
def metrics(request: Request[Any, Any, Any], state: State) -> Response[Any]:
    """Scrape-time collectors read the stores: a thread, never the event loop."""
    token = state.container.settings.metrics_token
    client = request.client.host if request.client else None
    if not scrape_allowed(request.headers.get("authorization", ""), client, token):
        detail = "A valid metrics token is required" if token else "Metrics are served to local clients only"
        return error_response(403, detail, "FORBIDDEN")
    return Response(exposition(state.state_metrics), media_type=CONTENT_TYPE)

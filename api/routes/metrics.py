"""GET /metrics: Prometheus text format, for a bearer token or, without one, loopback only.

Without ``LEARNSTREAM_METRICS_TOKEN`` only a client on this host may scrape. Behind a reverse
proxy on the same host every client looks local unless ``LEARNSTREAM_TRUSTED_PROXIES`` names
the proxy (then its forwarded address is the client's): set a token there, or name it.
"""

from __future__ import annotations

import hmac
from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State

from api.errors import error_response
from infrastructure.metrics import CONTENT_TYPE, exposition

LOOPBACK = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})


def _allowed(request: Request[Any, Any, Any], token: str) -> bool:
    if token:
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())
    client = request.client
    return client is not None and client.host in LOOPBACK


@get("/metrics", include_in_schema=False, sync_to_thread=True)
def metrics(request: Request[Any, Any, Any], state: State) -> Response[Any]:
    """Scrape-time collectors read the stores: a thread, never the event loop."""
    token = state.container.settings.metrics_token
    if not _allowed(request, token):
        detail = "A valid metrics token is required" if token else "Metrics are served to local clients only"
        return error_response(403, detail, "FORBIDDEN")
    return Response(exposition(state.state_metrics), media_type=CONTENT_TYPE)

"""Request ids and request metrics, around everything the application answers.

``observe(app, container)`` wraps the application's ASGI entry itself, not its middleware list:
Litestar runs listed middleware per route, after routing, so an unknown path's 404 or a 405
would pass by it. Wrapped outside, every response carries ``X-Request-ID`` and is counted: the
router's 404s, the abuse guard's 413s and 429s, error handlers' answers and streamed bodies.

The request id (``api.request_id``) is set before anything else runs, so every log line of
the request carries it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from api.health_probe import StoreProbe
from api.request_id import HEADER, REQUEST_ID, request_id_of
from api.state_metrics import StateCollector
from domain.errors import Locked
from infrastructure.metrics import UNMATCHED_ROUTE, RequestRecorder, count_login_throttle_refusal

#: label values must stay few: a client may send any token as its method
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

if TYPE_CHECKING:
    from litestar import Litestar

    from api.bootstrap import Container


class RequestObserver:
    """ASGI: sets the request id, echoes it on the response, records route, status and time."""

    def __init__(self, app: Any, recorder: RequestRecorder) -> None:
        self.app = app
        self.recorder = recorder

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_of(scope["headers"])
        header = (HEADER, request_id.encode("ascii"))
        token = REQUEST_ID.set(request_id)
        status = 500  # what the server answers when the application sent nothing

        async def send_with_id(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)
            route = scope.get("path_template") or UNMATCHED_ROUTE
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            self.recorder.record(method, route, status, time.perf_counter() - started)


async def _count_refusals(exc: Exception, _: Any) -> None:
    # Only the login throttle raises Locked (the per-request rate limiter answers by itself).
    if isinstance(exc, Locked):
        count_login_throttle_refusal()


def observe(app: Litestar, container: Container) -> Litestar:
    """Request ids and metrics around ``app``; the store probe and scrape-time collector on its
    state, for ``GET /api/health`` and ``GET /metrics``."""
    probe = StoreProbe(container.settings, container.events, container.read_store)
    app.state.store_probe = probe
    app.state.state_metrics = StateCollector(
        container.events, container.board, container.projections, container.webhook_outbox
    )
    app.asgi_handler = RequestObserver(app.asgi_handler, RequestRecorder())
    app.after_exception.append(_count_refusals)
    # Shutdown hooks run last-added first: the probe stops before the stores close.
    app.on_shutdown.append(probe.close)
    return app

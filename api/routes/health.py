"""GET /api/health, exactly as OpenLearning shows it."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.datastructures import State


@get("/api/health", operation_id="health", summary="Liveness and database probe", sync_to_thread=True, tags=["health"])
def health(state: State) -> Response[dict[str, Any]]:
    container = state.container
    if container.events.ping() and container.read_store.ping():
        return Response({"status": "ok", "database": None}, status_code=200)
    return Response({"status": "degraded", "database": "unreachable"}, status_code=503)

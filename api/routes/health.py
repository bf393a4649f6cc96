"""GET /api/health, exactly as OpenLearning shows it."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.datastructures import State


@get("/api/health", operation_id="health", summary="Liveness and database probe", tags=["health"])
async def health(state: State) -> Response[dict[str, Any]]:
    """Answered on the event loop from the store probe (``api.health_probe``): no thread."""
    if await state.store_probe.healthy():
        return Response({"status": "ok", "database": None}, status_code=200)
    return Response({"status": "degraded", "database": "unreachable"}, status_code=503)

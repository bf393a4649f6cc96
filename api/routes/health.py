"""GET /api/health, exactly as OpenLearning shows it."""

from __future__ import annotations

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec


class Health(msgspec.Struct):
    status: str
    database: str | None


@get(
    "/api/health", operation_id="get_health", summary="Liveness and database probe", tags=["health"],
    responses={503: ResponseSpec(Health, generate_examples=False, description="A store is unreachable")},
)
async def health(state: State) -> Response[Health]:
    """Answered on the event loop from the store probe (``api.health_probe``): no thread."""
    if await state.store_probe.healthy():
        return Response(Health(status="ok", database=None), status_code=200)
    return Response(Health(status="degraded", database="unreachable"), status_code=503)

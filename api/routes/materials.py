"""OpenLearning learning materials (seed 002): written in the background when a session
completes; an empty list while the pipeline is still running."""

from __future__ import annotations

from litestar import Controller, get

from api.routes.openlearning_user import signed_in
from api.schemas import errors
from api.security import signed_in_first
from application.authorization import Principal
from application.materials import Materials
from application.report_schemas import MaterialsResponse


class MaterialsController(Controller):
    path = "/api/materials"
    tags = ["assessment"]
    guards = [signed_in_first]

    @get("/{session_id:str}", operation_id="get_learning_materials", responses=errors(401, 403, 404), summary="The session's learning materials (empty while they are being written)", sync_to_thread=False)
    def materials(self, materials: Materials, principal: Principal, session_id: str) -> MaterialsResponse:
        return materials.of_session(signed_in(principal), session_id)

"""OpenLearning results of a session (seed 002): the report, the Markdown export, deletion.

The report is served as the bytes recorded on its first request (``application.
assessment_reports``): the handler passes them through untouched, so every call answers the
same JSON byte for byte.
"""

from __future__ import annotations

from typing import Any, cast

from litestar import Controller, Response, delete, get
from litestar.enums import MediaType

from api.routes.openlearning_user import signed_in
from api.schemas import errors
from api.security import signed_in_first
from application.assessment_deletion import AssessmentDeletion
from application.assessment_reports import AssessmentReports
from application.authorization import Principal
from application.report_schemas import AssessmentReport

MARKDOWN = "text/markdown"


class AssessmentResultsController(Controller):
    path = "/api/assessment"
    tags = ["assessment"]
    guards = [signed_in_first]

    @get("/{session_id:str}/report", operation_id="get_assessment_report", responses=errors(401, 403, 404, 409, 502, 504), summary="The full report of a completed session (recorded on the first call; the same bytes on every later call)")
    async def report(self, assessment_reports: AssessmentReports, principal: Principal, session_id: str) -> Response[AssessmentReport]:
        body = await assessment_reports.report(signed_in(principal), session_id)
        return Response(cast(Any, body), media_type=MediaType.JSON)

    @get("/{session_id:str}/export", operation_id="export_assessment", responses=errors(401, 403, 404, 502, 504), summary="The report as a Markdown file (an unfinished session: its live graph)", media_type=MARKDOWN)
    async def export(self, assessment_reports: AssessmentReports, principal: Principal, session_id: str) -> Response[str]:
        name, text = await assessment_reports.export(signed_in(principal), session_id)
        return Response(text, media_type=MARKDOWN,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


class UserAssessmentDeletionController(Controller):
    path = "/api/user"
    tags = ["assessment"]
    guards = [signed_in_first]

    @delete("/assessments/{session_id:str}", operation_id="delete_my_assessment", responses=errors(401, 403, 404), summary="Delete a session with its report and materials; its answers become unreadable", status_code=204)
    async def delete_session(self, assessment_deletion: AssessmentDeletion, principal: Principal, session_id: str) -> None:
        await assessment_deletion.delete(signed_in(principal), session_id)

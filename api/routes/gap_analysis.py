"""OpenLearning gap analysis and learning plans (seed 002): numbers from the domain, words from
the user's writer (their model with their key on the ``anthropic`` provider, else offline)."""

from __future__ import annotations

from litestar import Controller, post

from api.routes.openlearning_user import signed_in
from api.schemas import errors
from api.security import signed_in_first
from application.authorization import Principal
from application.gap_analysis import GapAnalyses
from application.report_schemas import (
    GapAnalysisOut,
    GapAnalysisRequest,
    LearningPlanOut,
    LearningPlanRequest,
)


class GapAnalysisController(Controller):
    path = "/api"
    tags = ["assessment"]
    guards = [signed_in_first]

    @post("/gap-analysis", operation_id="analyse_gaps", responses=errors(400, 401, 413, 422, 502, 504), summary="Gaps, priorities and readiness from proficiency scores", status_code=200)
    async def gap_analysis(self, gap_analyses: GapAnalyses, principal: Principal, data: GapAnalysisRequest) -> GapAnalysisOut:
        return await gap_analyses.analyse(signed_in(principal), data)

    @post("/learning-plan", operation_id="write_learning_plan", responses=errors(400, 401, 413, 422, 502, 504), summary="A phased learning plan from a gap analysis, in prerequisite order", status_code=200)
    async def learning_plan(self, gap_analyses: GapAnalyses, principal: Principal, data: LearningPlanRequest) -> LearningPlanOut:
        return await gap_analyses.learning_plan(signed_in(principal), data)

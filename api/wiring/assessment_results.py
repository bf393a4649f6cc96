"""How an assessment's results are built: reports, gap analysis and learning plans, materials
(their pipeline and background worker), and deletion. Called by ``api.wiring.assessment``.

Text is written by the user's model when the ``anthropic`` provider is on and the user (or the
server) has a key, else by the offline writers. ``POST /api/gap-analysis`` and
``/api/learning-plan`` need a key on the ``anthropic`` provider (the seed's 400); a report or
materials never fail for want of one: they are written offline, and say so.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

from application.assessment_deletion import AssessmentDeletion
from application.assessment_reports import AssessmentReports
from application.gap_analysis import GapAnalyses
from application.material_writers import (
    MaterialValidator,
    MaterialWriter,
    OfflineMaterialValidator,
    OfflineMaterialWriter,
)
from application.materials import Materials, MaterialsPipeline
from application.model_keys import ModelKeys
from application.model_material_writer import ModelMaterialValidator, ModelMaterialWriter
from application.model_report_writer import ModelReportWriter
from application.ports import EventLog, ReadModelBarrier
from application.report_writer import OfflineReportWriter, ReportWriter
from domain.knowledge import KnowledgeBase
from infrastructure.ai import AnthropicModels
from infrastructure.materials_queue import MaterialsQueue
from infrastructure.materials_worker import MaterialsWorker
from infrastructure.session_keys import SessionKeys
from infrastructure.settings import Settings
from projections.assessment_results import AssessmentResultsProjection
from projections.queries.assessment_results import AssessmentResultQueries
from projections.queries.assessments import AssessmentQueries


@dataclass(frozen=True)
class ResultsServices:
    """What ``Services`` holds of an assessment's results."""

    gap_analyses: GapAnalyses
    assessment_reports: AssessmentReports
    assessment_deletion: AssessmentDeletion
    materials: Materials
    materials_worker: MaterialsWorker


def build_results(
    settings: Settings, *, events: EventLog, barrier: ReadModelBarrier, kb: KnowledgeBase,
    models: AnthropicModels, worker_models: AnthropicModels, model_keys: ModelKeys,
    keys: SessionKeys, sessions: AssessmentQueries, results: AssessmentResultsProjection,
    forget: list[Callable[[str], Awaitable[None]]],
) -> ResultsServices:
    offline = OfflineReportWriter(kb)
    anthropic = model_keys.provider == "anthropic"

    def writer_required(user_id: UUID) -> ReportWriter:
        key = model_keys.require(user_id)
        return offline if key is None else ModelReportWriter(models.for_key(key), kb)

    def writer_for_report(user_id: UUID) -> ReportWriter:
        key = model_keys.key_for(user_id) if anthropic else None
        return offline if not key else ModelReportWriter(models.for_key(key), kb)

    def tools_for(user_uuid: str, offline_only: bool) -> tuple[MaterialWriter, MaterialValidator]:
        key = model_keys.key_for(UUID(user_uuid)) if anthropic and not offline_only else None
        if key:
            # The worker's own models: its event loop is not the API's.
            model = worker_models.for_key(key)
            return ModelMaterialWriter(model), ModelMaterialValidator(model)
        return OfflineMaterialWriter(), OfflineMaterialValidator()

    queries = AssessmentResultQueries(results)
    pipeline = MaterialsPipeline(events, kb, tools_for, time.time)
    worker = MaterialsWorker(
        MaterialsQueue(results), pipeline,
        concurrency=settings.assessment_materials_concurrency,
        lease_seconds=settings.assessment_materials_lease_seconds,
        poll_seconds=settings.assessment_materials_poll_seconds,
        retry_seconds=settings.assessment_materials_retry_seconds,
        on_close=worker_models.aclose,
    )
    if settings.assessment_materials_worker:
        results.on_work(worker.wake)
    return ResultsServices(
        gap_analyses=GapAnalyses(kb, writer_required),
        assessment_reports=AssessmentReports(
            events=events, kb=kb, keys=keys, results=queries, barrier=barrier,
            writer_for=writer_for_report, clock=time.time,
            read_timeout=settings.read_your_writes_timeout,
        ),
        assessment_deletion=AssessmentDeletion(
            events=events, keys=keys, barrier=barrier, clock=time.time,
            read_timeout=settings.read_your_writes_timeout, forget=forget,
        ),
        materials=Materials(sessions, queries),
        materials_worker=worker,
    )

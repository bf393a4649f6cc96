"""Learning materials: the background pipeline that writes one piece per gap concept when an
assessment completes, and ``GET /api/materials/{session_id}``.

The pipeline is restart-safe: each finished concept is one ``MaterialWritten`` event, so a run
that dies (or loses its lease) is taken up by the next claimer, which writes only the concepts
still due. ``MaterialsReady`` ends it; the ``materials_ready`` webhook follows from that event.
Until then the route answers an empty list, as the seed says a running pipeline does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import IntegrityError

from application.material_writers import MaterialValidator, MaterialWriter
from application.ports import EventLog
from application.report_schemas import MaterialOut, MaterialsResponse
from domain.assessment import COMPLETED, DELETED, Assessment
from domain.errors import Forbidden, NotFound
from domain.gap_analysis import Proficiency, gaps
from domain.knowledge import KnowledgeBase
from domain.study_materials import MAX_ITERATIONS, Attempt, StudyMaterials, materials_id
from projections.queries.assessment_results import AssessmentResultQueries
from projections.queries.assessments import AssessmentQueries

log = logging.getLogger("learnstream.materials")

NOT_FOUND = "Session not found"
NOT_YOURS = "Not your session"

#: (writer, validator) for a user; ``offline_only`` after the model kept failing
ToolsFor = Callable[[str, bool], tuple[MaterialWriter, MaterialValidator]]


def gap_concepts(kb: KnowledgeBase, scores: list[dict[str, Any]]) -> list[str]:
    """The session's gaps that are concepts of the knowledge base, worst first."""
    found = gaps(kb, [Proficiency(s["skillId"], s["skillName"], int(s["score"])) for s in scores])
    known = []
    for g in found:
        try:
            kb.concept(g.skill_id)
        except NotFound:
            continue
        known.append(g.skill_id)
    return known


class MaterialsPipeline:
    def __init__(
        self, events: EventLog, kb: KnowledgeBase, tools_for: ToolsFor,
        clock: Callable[[], float], concurrency: int = 4,
    ) -> None:
        self._events = events
        self._kb = kb
        self._tools_for = tools_for
        self._clock = clock
        self._concurrency = concurrency

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), tz=UTC)

    def _session(self, session_id: str) -> Assessment | None:
        agg = self._events.get(UUID(session_id), Assessment)
        return agg if agg is not None and agg.status == COMPLETED else None

    async def run(self, session_id: str, offline_only: bool = False) -> bool:
        """Write what is due; True when the materials are ready (or never will be: the session
        was deleted)."""
        agg = self._session(session_id)
        if agg is None:
            return True
        materials = self._events.get(materials_id(session_id), StudyMaterials)
        if materials is None:
            materials = StudyMaterials.start(
                session_id, agg.user_id, agg.org_id, agg.role_id,
                gap_concepts(self._kb, agg.scores), self.now(),
            )
            try:
                await self._events.save_async(materials)
            except IntegrityError:  # another worker started it first
                materials = self._events.get(materials_id(session_id), StudyMaterials)
        assert materials is not None
        return await self._write(session_id, agg.user_id, materials, offline_only)

    async def _write(
        self, session_id: str, user_id: str, materials: StudyMaterials, offline_only: bool
    ) -> bool:
        if materials.ready:
            return True
        writer, validator = self._tools_for(user_id, offline_only)
        lock = asyncio.Lock()
        limit = asyncio.Semaphore(self._concurrency)

        async def one(concept_id: str) -> None:
            async with limit:
                attempts = await self._attempts(concept_id, writer, validator)
            async with lock:
                if self._session(session_id) is None:
                    return  # deleted meanwhile: record nothing more
                materials.record(concept_id, attempts, writer.name, self.now())
                await self._events.save_async(materials)

        # Every concept runs to its end, so a failing one loses no other's finished piece; the
        # first failure is raised once all are done (the next run writes what is still due).
        outcomes = await asyncio.gather(*(one(c) for c in materials.due), return_exceptions=True)
        failed = [o for o in outcomes if isinstance(o, BaseException)]
        if failed:
            raise failed[0]
        if self._session(session_id) is None:
            return True
        materials.finish(self.now())
        await self._events.save_async(materials)
        log.info("materials ready for session %s: %d piece(s), %d flagged", session_id,
                 len(materials.written), materials.flagged)
        return True

    async def _attempts(
        self, concept_id: str, writer: MaterialWriter, validator: MaterialValidator
    ) -> list[Attempt]:
        concept = self._kb.concept(concept_id)
        target = concept.bloom_target
        attempts: list[Attempt] = []
        feedback = ""
        for n in range(1, MAX_ITERATIONS + 1):
            material = await writer.write(concept, target, n, feedback)
            verdict = await validator.validate(concept, target, material)
            attempts.append(Attempt(material, verdict.bloom_score, verdict.quality_score,
                                    verdict.feedback))
            if attempts[-1].passes:
                break
            feedback = verdict.feedback
        return attempts


class Materials:
    """``GET /api/materials/{session_id}``: the owner's materials once they are all written."""

    def __init__(self, sessions: AssessmentQueries, results: AssessmentResultQueries) -> None:
        self._sessions = sessions
        self._results = results

    def of_session(self, user_id: UUID, session_id: str) -> MaterialsResponse:
        try:
            key = str(UUID(session_id))
        except ValueError:
            raise NotFound(NOT_FOUND, code="SESSION_NOT_FOUND") from None
        row = self._sessions.session(key)
        if row is None or row["status"] == DELETED:
            raise NotFound(NOT_FOUND, code="SESSION_NOT_FOUND")
        if row["user_uuid"] != str(user_id):
            raise Forbidden(NOT_YOURS, code="NOT_YOUR_SESSION")
        done = self._results.session(key)
        if done is None or not done["materials_ready"]:
            return MaterialsResponse(session_id, [])
        return MaterialsResponse(session_id, [
            MaterialOut(
                r["concept_id"], r["domain"], float(r["bloom_score"]), float(r["quality_score"]),
                int(r["iteration_count"]), r["quality_flag"],
                msgspec.json.decode(r["material"]), r["generated_at"],
            )
            for r in self._results.materials(key)
        ])

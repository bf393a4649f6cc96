"""A completed session's report (``GET /api/assessment/{id}/report``) and its Markdown export.

The first request builds the report: the knowledge graph and the scores as the session left
them, the gap analysis and the learning plan (numbers from the domain, words from the user's
writer). Its JSON is sealed with the session's data key and recorded as
``AssessmentReported``; every later request, in any process, after any restart or rebuild of
the read models, answers exactly those bytes. Two first requests racing: one records, the
other finds the recorded report and answers it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

import msgspec
from eventsourcing.persistence import IntegrityError

from application.assessment_export import export_filename, render_report, render_unfinished
from application.assessment_schemas import GraphNode, KnowledgeGraphOut, ProficiencyScoreOut
from application.gap_analysis import WriterFor, write_gap_analysis, write_learning_plan
from application.ports import EventLog, ReadModelBarrier
from application.report_schemas import AssessmentReport
from application.report_writer import ReportWriter
from domain.assessment import ACTIVE, COMPLETED, DELETED, Assessment
from domain.errors import Conflict, Forbidden, NotFound
from domain.gap_analysis import Proficiency
from domain.knowledge import KnowledgeBase
from projections.queries.assessment_results import AssessmentResultQueries

NOT_FOUND = "Session not found"
NOT_YOURS = "Not your session"
IN_PROGRESS = "Assessment is still in progress"
UNFINISHED = "Assessment did not complete: it timed out"
REPORT_CONTEXT = "report"
READ_MODELS = ("assessment_results",)


class Cipher(Protocol):
    def seal(self, context: str, text: str) -> str: ...
    def open(self, context: str, sealed: str) -> str: ...


class Keys(Protocol):
    def cipher(self, session_id: str) -> Cipher | None: ...


def session_uuid(session_id: str) -> UUID:
    try:
        return UUID(session_id)
    except ValueError:
        raise NotFound(NOT_FOUND, code="SESSION_NOT_FOUND") from None


def graph_of(kb: KnowledgeBase, agg: Assessment) -> KnowledgeGraphOut:
    """The graph as ``GET /graph`` shows it: prerequisites first, in the role's order."""
    order = {c.id: i for i, c in enumerate(kb.role(agg.role_id).ordered)}
    return KnowledgeGraphOut([
        GraphNode(cid, round(node.confidence, 4), node.bloom.label,
                  list(kb.concept(cid).prerequisites))
        for cid, node in sorted(agg.graph.items(), key=lambda item: order.get(item[0], 0))
    ])


class AssessmentReports:
    def __init__(
        self, *, events: EventLog, kb: KnowledgeBase, keys: Keys,
        results: AssessmentResultQueries, barrier: ReadModelBarrier, writer_for: WriterFor,
        clock: Callable[[], float], read_timeout: float,
    ) -> None:
        self._events = events
        self._kb = kb
        self._keys = keys
        self._results = results
        self._barrier = barrier
        self._writer_for = writer_for
        self._clock = clock
        self._read_timeout = read_timeout

    async def report(self, user_id: UUID, session_id: str) -> bytes:
        """The report's JSON bytes, the same on every call."""
        key = str(session_uuid(session_id))
        recorded = self._results.report(key)
        if recorded is not None:
            if recorded["user_uuid"] != str(user_id):
                raise Forbidden(NOT_YOURS, code="NOT_YOUR_SESSION")
            return self._open(key, recorded["sealed"])
        agg = await self._owned_async(user_id, key)
        if agg.status == ACTIVE:
            raise Conflict(IN_PROGRESS, code="SESSION_IN_PROGRESS")
        if agg.status != COMPLETED:
            raise Conflict(UNFINISHED, code="SESSION_NOT_COMPLETED")
        if agg.report is not None:  # recorded; the read model has not caught up yet
            return self._open(key, agg.report)
        cipher = self._cipher(key)
        writer = self._writer_for(UUID(agg.user_id))
        body = msgspec.json.encode(await self._build(agg, writer))
        agg.record_report(cipher.seal(REPORT_CONTEXT, body.decode()), writer.name, self._now())
        try:
            position = await self._events.save_async(agg)
        except IntegrityError:
            # Recorded by a racing request (or deleted meanwhile): answer what the log says.
            again = await self._owned_async(user_id, key)
            if again.report is None:
                raise Conflict("The session changed, please retry", code="SESSION_CHANGED") from None
            return self._open(key, again.report)
        await self._barrier.wait_async(position, READ_MODELS, self._read_timeout)
        return body

    async def export(self, user_id: UUID, session_id: str) -> tuple[str, str]:
        """``(file name, Markdown)``: the report of a completed session, else what the live
        graph shows, with readable text where a section has nothing yet."""
        key = str(session_uuid(session_id))
        agg = await self._owned_async(user_id, key)
        name = export_filename(session_id)
        role = self._kb.role(agg.role_id)
        if agg.status == COMPLETED:
            report = msgspec.json.decode(await self.report(user_id, session_id),
                                         type=AssessmentReport)
            return name, render_report(key, agg, role.name, report)
        return name, render_unfinished(key, agg, role.name, graph_of(self._kb, agg))

    async def _build(self, agg: Assessment, writer: ReportWriter) -> AssessmentReport:
        scores = [ProficiencyScoreOut(s["skillId"], s["skillName"], int(s["score"]),
                                      float(s["confidence"]), s["reasoning"]) for s in agg.scores]
        proficiencies = [Proficiency(s.skill_id, s.skill_name, s.score) for s in scores]
        analysis, found = await write_gap_analysis(
            self._kb, writer, proficiencies, agg.overall_readiness
        )
        plan = await write_learning_plan(self._kb, writer, found)
        return AssessmentReport(graph_of(self._kb, agg), analysis, plan, scores)

    async def _owned_async(self, user_id: UUID, key: str) -> Assessment:
        # Off the event loop: replaying a session is a database read and some CPU.
        agg = await asyncio.to_thread(self._events.get, UUID(key), Assessment)
        if agg is None or agg.status == DELETED:
            raise NotFound(NOT_FOUND, code="SESSION_NOT_FOUND")
        if agg.user_id != str(user_id):
            raise Forbidden(NOT_YOURS, code="NOT_YOUR_SESSION")
        return agg

    def _cipher(self, key: str) -> Cipher:
        cipher = self._keys.cipher(key)
        if cipher is None:  # the key was destroyed: the session is gone with it
            raise NotFound(NOT_FOUND, code="SESSION_NOT_FOUND")
        return cipher

    def _open(self, key: str, sealed: str) -> bytes:
        return self._cipher(key).open(REPORT_CONTEXT, sealed).encode()

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), tz=UTC)

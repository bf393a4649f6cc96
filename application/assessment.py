"""Assessment: the adaptive skill assessment's use cases — start, answer (one turn), resume,
the knowledge graph and the user's sessions. Only a session's owner may touch it.

Commands work on the ``Assessment`` aggregate (the log); queries read the read model. A turn
runs under a per-session lock in this process; across processes the aggregate's version makes
a racing second answer fail instead of counting twice.

The session a turn works on is kept in memory between turns (``SessionCache``): the aggregate
as this process last saved it and its data key. A turn then starts without a database round
trip. Another process may have moved the session on meanwhile; the turn's first append then
fails on the version, and the turn runs once more from the log.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from application.assessment_cache import SessionCache
from application.assessment_calibration import calibrate
from application.assessment_engine import (
    AssessmentEngine,
    Run,
    SessionCipher,
    SessionKeyStore,
    answer_context,
)
from application.assessment_schemas import (
    AssessmentStartResponse,
    AssessmentSummary,
    GraphNode,
    KnowledgeGraphOut,
    ResumeResponse,
    StartAssessment,
)
from application.evaluator import Evaluator
from application.ports import EventLog, ReadModelBarrier
from domain.assessment import ACTIVE, COMPLETED, DELETED, SESSION_COMPLETED, Assessment
from domain.errors import Conflict, Forbidden, Gone, InvalidInput, NotFound
from domain.knowledge import KnowledgeBase
from projections.queries.assessments import AssessmentQueries

NOT_FOUND = "Session not found"
CHANGED = "The session was changed concurrently, please retry"
NOT_YOURS = "Not your session"
TIMED_OUT = "Session has timed out"
READ_MODELS = ("assessments",)
_DELIVERED_KEPT = 100_000

#: the evaluator for a user (raises the seed's 400 when a key is needed and missing)
EvaluatorFor = Callable[[UUID], Evaluator]


@dataclass(frozen=True)
class NextQuestion:
    number: int
    text: str
    meta: dict[str, Any]
    #: log position the read models must reach before the turn is over (0: nothing written)
    position: int = 0


@dataclass(frozen=True)
class Completed:
    scores: list[dict[str, Any]]
    position: int = 0


Outcome = NextQuestion | Completed


@dataclass(frozen=True)
class Turn:
    user_id: UUID
    session_id: str
    answer: str
    question_id: int | None
    evaluator: Evaluator
    #: as loaded for the checks, and reused by the turn
    loaded: Assessment | None = None
    #: whether ``loaded`` came from this process's memory rather than the log
    cached: bool = False


class Assessments:
    def __init__(
        self, *, events: EventLog, kb: KnowledgeBase, engine: AssessmentEngine,
        keys: SessionKeyStore, queries: AssessmentQueries, barrier: ReadModelBarrier,
        evaluator_for: EvaluatorFor, org_for: Callable[[str], str | None],
        timeout_seconds: float, read_timeout: float,
    ) -> None:
        self._events = events
        self._kb = kb
        self.engine = engine
        self._keys = keys
        self._queries = queries
        self._barrier = barrier
        self._evaluator_for = evaluator_for
        self._org_for = org_for
        self.timeout_seconds = timeout_seconds
        self._read_timeout = read_timeout
        self._sessions = SessionCache()
        #: (session, question number) whose question this process handed to its client
        self._delivered: OrderedDict[tuple[str, int], None] = OrderedDict()
        self._locks: dict[str, tuple[asyncio.Lock, list[int]]] = {}

    # -- commands ------------------------------------------------------------------------
    async def start(self, user_id: UUID, cmd: StartAssessment) -> AssessmentStartResponse:
        evaluator = self._evaluator_for(user_id)
        fields = calibrate(self._kb, cmd, str(user_id), self._org_for(str(user_id)))
        session_id = str(uuid4())
        run = Run(None, evaluator, self._keys.create(session_id))
        async with self._locked(session_id):
            await self.engine.start(session_id, fields, run)
            self._remember(run)
        agg = _started(run)
        await self._settled(run)
        pending = agg.pending
        assert pending is not None, "a new session always has a question"
        self.delivered(session_id, pending.number)
        return AssessmentStartResponse(session_id, pending.text, agg.estimated_questions)

    async def begin_turn(
        self, user_id: UUID, session_id: str, answer: str, question_id: int | None = None
    ) -> Turn:
        """Every check a client can be told with an HTTP status, before the stream starts."""
        evaluator = self._evaluator_for(user_id)
        agg, cached = await self._current(user_id, session_id)
        agg.ensure_active()
        if not answer.strip():
            raise InvalidInput("response: must not be empty", field="response")
        return Turn(user_id, session_id, answer, question_id, evaluator, agg, cached)

    async def play(self, turn: Turn) -> Outcome:
        """Record the answer, judge it, and ask the next question or conclude."""
        async with self._locked(turn.session_id):
            try:
                return await self._play(turn)
            except IntegrityError:
                if not turn.cached:
                    raise Conflict(CHANGED, code="SESSION_CHANGED") from None
            # The session moved on in another process since this one cached it: once more,
            # from the log.
            fresh = await self._live(turn.user_id, turn.session_id)
            try:
                return await self._play(Turn(
                    turn.user_id, turn.session_id, turn.answer, turn.question_id,
                    turn.evaluator, fresh,
                ))
            except IntegrityError:
                raise Conflict(CHANGED, code="SESSION_CHANGED") from None

    async def _play(self, turn: Turn) -> Outcome:
        try:
            return await self._turn(turn)
        except BaseException:
            # The aggregate may hold events that were never saved: never reuse it.
            self._sessions.drop(turn.session_id)
            raise

    async def _turn(self, turn: Turn) -> Outcome:
        agg = self._sessions.aggregate(turn.session_id) or turn.loaded
        if agg is None or agg.pending_events:
            agg = await self._live(turn.user_id, turn.session_id)
        agg.ensure_active()
        run = Run(agg, turn.evaluator, await self._cipher(turn.session_id))
        pending = agg.pending
        if pending is None or self._is_retry(agg, run.cipher, turn):
            # The answer was recorded already (the client retries after losing our reply):
            # bring the session to its next question without counting it again.
            await self.engine.settle(turn.session_id, run)
        else:
            if turn.question_id is not None and turn.question_id > pending.number:
                raise Conflict(f"Question {turn.question_id} has not been asked")
            sealed = run.cipher.seal(answer_context(pending.number), turn.answer)
            await self.engine.answer(turn.session_id, sealed, run)
        self._remember(run)
        return _outcome(_started(run), run.positions)

    async def resume(self, user_id: UUID, session_id: str) -> ResumeResponse:
        evaluator = self._evaluator_for(user_id)
        async with self._locked(session_id):
            agg = await self._live(user_id, session_id)
            agg.ensure_active()
            run = Run(agg, evaluator, await self._cipher(session_id))
            await self.engine.settle(session_id, run)
            self._remember(run)
        await self._settled(run)
        agg = _started(run)
        if agg.status == COMPLETED or agg.pending is None:
            raise Conflict(SESSION_COMPLETED, code="SESSION_COMPLETED")
        self.delivered(session_id, agg.pending.number)
        return ResumeResponse(session_id, agg.pending.text)

    # -- queries -------------------------------------------------------------------------
    def graph(self, user_id: UUID, session_id: str) -> KnowledgeGraphOut:
        row = self._owned_row(user_id, session_id)
        order = {c.id: i for i, c in enumerate(self._kb.role(row["resolved_role_id"]).ordered)}
        nodes = sorted(self._queries.nodes(session_id), key=lambda n: order.get(n["concept_id"], 0))
        return KnowledgeGraphOut([
            GraphNode(n["concept_id"], round(float(n["confidence"]), 4), n["bloom"],
                      list(self._kb.concept(n["concept_id"]).prerequisites))
            for n in nodes
        ])

    def sessions(self, user_id: UUID, limit: int = 100, offset: int = 0) -> list[AssessmentSummary]:
        now = self.engine.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        stale = self._stale_before(now)
        out = []
        for row in self._queries.of_user(str(user_id), limit, offset):
            status = row["status"]
            if status == ACTIVE and row["last_activity_at"] < stale:
                status = "timed_out"
            role_id = row["role_id"]
            out.append(AssessmentSummary(
                session_id=row["session_id"], status=status, skill_ids=row["skill_ids"],
                target_level=row["target_level"], role_id=role_id,
                role_name=self._kb.role(role_id).name if role_id else None,
                created_at=row["created_at"], completed_at=row["completed_at"],
                overall_readiness=row["overall_readiness"], skill_count=len(row["skill_ids"]),
            ))
        return out

    # -- helpers -------------------------------------------------------------------------
    def _stale_before(self, now_z: str) -> str:
        from datetime import datetime, timedelta

        now = datetime.strptime(now_z, "%Y-%m-%dT%H:%M:%SZ")
        return (now - timedelta(seconds=self.timeout_seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _owned_row(self, user_id: UUID, session_id: str) -> dict[str, Any]:
        row = self._queries.session(_session_key(session_id))
        if row is None:
            raise NotFound(NOT_FOUND, code="SESSION_NOT_FOUND")
        if row["user_uuid"] != str(user_id):
            raise Forbidden(NOT_YOURS, code="NOT_YOUR_SESSION")
        return row

    async def _current(self, user_id: UUID, session_id: str) -> tuple[Assessment, bool]:
        """The session as this process last saved it when it still holds it (checked like
        ``_live``), else from the log. True when it came from memory."""
        agg = self._sessions.aggregate(session_id)
        if agg is not None:
            try:
                return await self._checked(agg, user_id), True
            except IntegrityError:  # timing it out collided with another process's step
                self._sessions.drop(session_id)
        return await self._live(user_id, session_id), False

    async def _live(self, user_id: UUID, session_id: str) -> Assessment:
        """The session from the log, checked: exists (404), is the caller's (403), and has not
        been idle past the timeout (410, recorded as ``AssessmentTimedOut``)."""
        try:
            key = UUID(session_id)
        except ValueError:
            raise NotFound(NOT_FOUND, code="SESSION_NOT_FOUND") from None
        self._sessions.drop(session_id)
        # Off the event loop: replaying a long session is a database read and some CPU.
        agg = await asyncio.to_thread(self._events.get, key, Assessment)
        return await self._checked(agg, user_id)

    async def _checked(self, agg: Assessment | None, user_id: UUID) -> Assessment:
        if agg is None or agg.status == DELETED:
            raise NotFound(NOT_FOUND, code="SESSION_NOT_FOUND")
        if agg.user_id != str(user_id):
            raise Forbidden(NOT_YOURS, code="NOT_YOUR_SESSION")
        now = self.engine.now()
        if agg.status == ACTIVE and agg.idle_seconds(now) > self.timeout_seconds:
            agg.time_out(now)
            position = await self._events.save_async(agg)
            await self._barrier.wait_async(position, READ_MODELS, self._read_timeout)
        if agg.status == "timed_out":
            raise Gone(TIMED_OUT, code="SESSION_TIMED_OUT")
        return agg

    async def _cipher(self, session_id: str) -> SessionCipher:
        cipher = self._sessions.cipher(session_id)
        if cipher is None:
            cipher = await asyncio.to_thread(self._keys.cipher, session_id)
        if cipher is None:  # the key was destroyed: the session's answers are gone with it
            raise NotFound(NOT_FOUND, code="SESSION_NOT_FOUND")
        return cipher

    def _remember(self, run: Run) -> None:
        self._sessions.keep(_started(run), run.cipher)

    def forget(self, session_id: str) -> None:
        """Drop what this process keeps of a session (it was deleted here)."""
        self._sessions.drop(session_id)

    def delivered(self, session_id: str, number: int) -> None:
        """The client has been handed question ``number``: an answer to it is a new answer."""
        self._delivered[(session_id, number)] = None
        while len(self._delivered) > _DELIVERED_KEPT:
            self._delivered.popitem(last=False)

    def _is_retry(self, agg: Assessment, cipher: SessionCipher, turn: Turn) -> bool:
        """Whether this answer was recorded already. Exact with ``questionId``. Without it: the
        same answer as the last one recorded, while the pending question (asked right after
        it) never reached this process's client — the reply was lost to a crash or a dropped
        connection. A question this process delivered always takes the answer as new."""
        pending = agg.pending
        if pending is None:
            return True
        if turn.question_id is not None:
            return turn.question_id < pending.number
        last = agg.answers[-1] if agg.answers else None
        return (
            last is not None and last.number == pending.number - 1
            and (turn.session_id, pending.number) not in self._delivered
            and cipher.digest(turn.answer) == last.digest
        )

    async def settled(self, outcome: Outcome) -> None:
        """Wait (bounded) until the read models reflect a turn: the graph and the session list
        a client reads next. The stream sends the question first and waits before ``[DONE]``."""
        if outcome.position:
            await self._barrier.wait_async(outcome.position, READ_MODELS, self._read_timeout)

    async def _settled(self, run: Run) -> None:
        if run.positions:
            await self._barrier.wait_async(max(run.positions), READ_MODELS, self._read_timeout)

    @asynccontextmanager
    async def _locked(self, session_id: str) -> AsyncIterator[None]:
        lock, users = self._locks.setdefault(session_id, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                self._locks.pop(session_id, None)


def _started(run: Run) -> Assessment:
    assert run.aggregate is not None
    return run.aggregate


def _session_key(session_id: str) -> str:
    try:
        return str(UUID(session_id))
    except ValueError:
        raise NotFound(NOT_FOUND, code="SESSION_NOT_FOUND") from None


def _outcome(agg: Assessment, positions: list[int]) -> Outcome:
    last = max(positions, default=0)
    if agg.status == COMPLETED:
        return Completed(list(agg.scores), last)
    pending = agg.pending
    if pending is None:
        raise Conflict(SESSION_COMPLETED, code="SESSION_COMPLETED")
    return NextQuestion(pending.number, pending.text, {
        "type": "assessment", "topics_evaluated": agg.topics_evaluated,
        "total_questions": len(agg.questions), "max_questions": agg.max_questions,
    }, last)


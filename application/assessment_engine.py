"""The assessment workflow: a LangGraph graph that pauses with ``interrupt()`` for each answer.

    START -> sync -> calibrate -> route -> ask -> evaluate (interrupt) -> update -> route
                                       \\-> conclude -> END

``evaluate`` pauses on ``interrupt()`` for the answer and, resumed with it, judges it: one
node, since a node that waits apart from the one that judges costs the run a whole step for
every answer (LangGraph's per-step work is most of a turn's CPU).

Every step that changes anything appends its event to the ``Assessment`` aggregate before the
next step starts (one exception: when the evaluator asks from the local question bank, a judged
answer is appended together with the next question or the completion, in one write, since
nothing can fail between them); the graph's checkpoint (thread id = session id) is only a
cache of where the run paused. ``sync`` reads the log and routes to the step the log says comes
next, and every step re-checks the log before it appends, so a run rebuilt from the log after
a crash (or a lost or stale checkpoint) neither loses nor repeats a step.

The state holds ids, numbers and sealed text only: the answer travels as ciphertext (sealed
with the session's data key) and the evaluation is sealed before it reaches the state, so no
checkpoint holds readable answer text.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypedDict

from application.evaluator import Evaluator
from application.ports import EventLog
from domain.assessment import ACTIVE, Assessment
from domain.assessment_policy import Decision, Move, readiness, route, scores, update_graph
from domain.knowledge import BloomLevel, Concept, KnowledgeBase

if TYPE_CHECKING:
    from langgraph.graph import StateGraph

# LangGraph (about a second to import) is imported where a graph is built or run: a process
# that never runs an assessment (``replay``, ``audit``) builds this engine unused.

Clock = Callable[[], float]
_session: ContextVar[str] = ContextVar("assessment_session")


class SessionCipher(Protocol):
    def seal(self, context: str, text: str) -> str: ...
    def open(self, context: str, sealed: str) -> str: ...
    def digest(self, text: str) -> str: ...


class SessionKeyStore(Protocol):
    def create(self, session_id: str) -> SessionCipher: ...
    def cipher(self, session_id: str) -> SessionCipher | None:
        """None once the session's key was destroyed."""
        ...


class CheckpointSource(Protocol):
    async def saver(self) -> Any: ...
    def close(self) -> None: ...


class Step(TypedDict, total=False):
    session_id: str
    #: calibration, on the session's first run only
    start: dict[str, Any] | None
    #: number of the question the run waits on
    pending: int | None
    #: the judged answer, sealed, with its numbers
    evaluation: dict[str, Any] | None
    decision: dict[str, Any] | None


@dataclass
class Run:
    """What one run of the graph works with; lives in memory for the run, never checkpointed."""

    aggregate: Assessment | None
    evaluator: Evaluator
    cipher: SessionCipher
    positions: list[int] = field(default_factory=list)


def answer_context(number: int) -> str:
    return f"answer:{number}"


def record_context(number: int) -> str:
    return f"record:{number}"


class AssessmentEngine:
    def __init__(
        self, events: EventLog, kb: KnowledgeBase, checkpoints: CheckpointSource, clock: Clock
    ) -> None:
        self._events = events
        self._kb = kb
        self._checkpoints = checkpoints
        self.clock = clock
        self._runs: dict[str, Run] = {}
        #: session -> question number this process last saw its run paused on: when the log
        #: agrees, the checkpoint need not be read to know it (another process that moved the
        #: session on has moved the log on too)
        # OrderedDict: forgetting the oldest of a plain dict walks past the slots earlier
        # deletions emptied (``projections/engine/memo.py``)
        self._paused: OrderedDict[str, int] = OrderedDict()
        self._compiled: dict[int, Any] = {}

    def close(self) -> None:
        self._checkpoints.close()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), tz=UTC)

    # -- running -----------------------------------------------------------------------
    async def _graph(self) -> Any:
        saver = await self._checkpoints.saver()
        graph = self._compiled.get(id(saver))
        if graph is None:
            graph = self._compiled[id(saver)] = _build(self).compile(checkpointer=saver)
        return graph

    async def start(self, session_id: str, fields: dict[str, Any], run: Run) -> Run:
        """Calibrate and ask the first question; returns when the run waits for its answer."""
        return await self._invoke(session_id, run, {"session_id": session_id, "start": fields})

    async def answer(self, session_id: str, sealed_answer: str, run: Run) -> Run:
        """Resume the paused run with an answer to the pending question (the caller checked
        there is one). A checkpoint that does not match the log is rebuilt first."""
        from langgraph.types import Command

        graph = await self._graph()
        await self._paused_at_pending(graph, session_id, run)
        before = run.aggregate.version if run.aggregate is not None else 0
        await self._invoke(session_id, run, Command(resume=sealed_answer))
        if run.aggregate is not None and run.aggregate.version == before:
            # Nothing moved: the checkpoint this process remembered is gone (deleted or lost
            # with its database). Check it for real, rebuild it from the log, answer again.
            self._paused.pop(session_id, None)
            await self._paused_at_pending(graph, session_id, run)
            await self._invoke(session_id, run, Command(resume=sealed_answer))
        return run

    async def settle(self, session_id: str, run: Run) -> Run:
        """Bring the run to where the log says it stands: paused on the pending question
        (asking the next one if an answer was recorded but nothing asked since), or ended."""
        graph = await self._graph()
        await self._paused_at_pending(graph, session_id, run)
        return run

    async def _paused_at_pending(self, graph: Any, session_id: str, run: Run) -> None:
        agg = run.aggregate
        config = _config(session_id)
        pending = agg.pending if agg is not None else None
        if pending is not None and self._paused.get(session_id) == pending.number:
            return
        snapshot = await graph.aget_state(config)
        if (
            pending is not None and snapshot.next == ("evaluate",) and snapshot.interrupts
            and (snapshot.values or {}).get("pending") == pending.number
        ):
            return
        saver = await self._checkpoints.saver()
        await saver.adelete_thread(session_id)
        self._paused.pop(session_id, None)
        await self._invoke(session_id, run, {"session_id": session_id})

    async def _invoke(self, session_id: str, run: Run, payload: Any) -> Run:
        graph = await self._graph()
        self._runs[session_id] = run
        self._paused.pop(session_id, None)
        token = _session.set(session_id)
        try:
            await graph.ainvoke(payload, _config(session_id), durability="exit")
        finally:
            _session.reset(token)
            self._runs.pop(session_id, None)
        pending = run.aggregate.pending if run.aggregate is not None else None
        if pending is not None:
            self._paused[session_id] = pending.number
            if len(self._paused) > 100_000:
                self._paused.popitem(last=False)
        return run

    def run_of(self, state: Step) -> Run:
        # A run started by a resume on a checkpoint that is gone has no state yet.
        return self._runs[state.get("session_id") or _session.get()]

    async def save(self, run: Run) -> None:
        position = await self._events.save_async(run.aggregate)
        if position:
            run.positions.append(position)

    def concepts(self, agg: Assessment) -> dict[str, Concept]:
        return {cid: self._kb.concept(cid) for cid in dict.fromkeys([*agg.pool, *agg.topics])}

    # -- steps ---------------------------------------------------------------------------
    async def calibrate(self, state: Step) -> Step:
        run = self.run_of(state)
        if run.aggregate is None:
            from uuid import UUID

            fields = dict(state.get("start") or {})
            fields["evaluator"] = run.evaluator.name
            run.aggregate = Assessment.start(UUID(state["session_id"]), self.now(), **fields)
            await self.save(run)
        return {"start": None}

    async def route(self, state: Step) -> Step:
        agg = _aggregate(self.run_of(state))
        d = route(
            topics=agg.topics, concepts=self.concepts(agg), asked=agg.asked, graph=agg.graph,
            last_confidence=agg.last_confidence, questions_per_topic=agg.questions_per_topic,
        )
        return {"decision": {"move": d.move.value, "concept_id": d.concept_id,
                             "question_index": d.question_index, "adds_topic": d.adds_topic}}

    async def ask(self, state: Step) -> Step:
        run = self.run_of(state)
        agg = _aggregate(run)
        if agg.pending is None:
            d = Decision(**{**(state.get("decision") or {}),
                            "move": Move((state.get("decision") or {})["move"])})
            assert d.concept_id is not None and d.question_index is not None
            concept = self._kb.concept(d.concept_id)
            text = await run.evaluator.question(
                concept, d.question_index, [q.text for q in agg.questions]
            )
            agg.ask(d, concept.questions[d.question_index].bloom, text, self.now())
            await self.save(run)
        pending = agg.pending
        assert pending is not None
        return {"pending": pending.number, "decision": None}

    async def evaluate(self, state: Step) -> Step:
        from langgraph.types import interrupt

        run = self.run_of(state)
        agg = _aggregate(run)
        pending = agg.pending
        # Pauses the run here; resumed, the node runs again from the top and this returns the
        # (sealed) answer.
        sealed = interrupt({"number": state.get("pending"),
                            "question": pending.text if pending else None})
        if pending is None or pending.number != state.get("pending") or not sealed:
            return {"evaluation": None}
        answer = run.cipher.open(answer_context(pending.number), sealed)
        concept = self._kb.concept(pending.concept_id)
        judged = await run.evaluator.evaluate(concept, pending.text, pending.bloom, answer)
        record = json.dumps({"answer": answer, "evidence": judged.evidence,
                             "reasoning": judged.reasoning}, ensure_ascii=False)
        return {"evaluation": {
            "number": pending.number, "confidence": judged.confidence,
            "bloom": judged.bloom.label, "covered": judged.covered_key_points,
            "sealed": run.cipher.seal(record_context(pending.number), record),
            "digest": run.cipher.digest(answer), "evaluator": run.evaluator.name,
        }}

    async def update(self, state: Step) -> Step:
        run = self.run_of(state)
        agg = _aggregate(run)
        ev = state.get("evaluation")
        pending = agg.pending
        if ev and pending is not None and pending.number == ev["number"]:
            bloom = BloomLevel.parse(ev["bloom"])
            concept = self._kb.concept(pending.concept_id)
            changes = update_graph(agg.graph, concept, ev["confidence"], bloom)
            agg.record_answer(
                number=pending.number, sealed=ev["sealed"], digest=ev["digest"],
                confidence=ev["confidence"], bloom=bloom, covered_key_points=ev["covered"],
                evaluator=ev["evaluator"], changes=changes, at=self.now(),
            )
            if not run.evaluator.asks_locally:
                await self.save(run)
            # Else the next step (ask or conclude, which cannot fail) appends this answer
            # with its own event: one atomic write per turn, all or nothing.
        return {"evaluation": None, "pending": None}

    async def conclude(self, state: Step) -> Step:
        run = self.run_of(state)
        agg = _aggregate(run)
        if agg.status == ACTIVE and agg.pending is None:
            concepts = self.concepts(agg)
            out = [
                {"skillId": s.concept_id, "skillName": s.name, "score": s.score,
                 "confidence": s.confidence, "reasoning": s.reasoning}
                for s in scores(agg.topics, concepts, agg.graph)
            ]
            agg.complete(out, readiness(agg.topics, concepts, agg.graph), self.now())
            await self.save(run)
        return {"decision": None}

    # -- edges ---------------------------------------------------------------------------
    def after_sync(self, state: Step) -> str:
        from langgraph.graph import END

        agg = self.run_of(state).aggregate
        if agg is None:
            return "calibrate" if state.get("start") else END
        if agg.status != ACTIVE:
            return END
        return "evaluate" if agg.pending is not None else "route"

    async def sync(self, state: Step) -> Step:
        agg = self.run_of(state).aggregate
        pending = agg.pending if agg is not None else None
        return {"session_id": state.get("session_id") or _session.get(),
                "pending": pending.number if pending else None}


def _aggregate(run: Run) -> Assessment:
    assert run.aggregate is not None, "the session is not started"
    return run.aggregate


def _config(session_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": session_id}}


def _decided(state: Step) -> str:
    return "conclude" if (state.get("decision") or {}).get("move") == "conclude" else "ask"


def _build(engine: AssessmentEngine) -> StateGraph[Any]:
    """Nodes are the engine's bound steps: the graph holds nothing per session, the run's
    aggregate and evaluator are looked up by thread id for the length of one run."""
    from langgraph.graph import END, START, StateGraph

    graph: StateGraph[Any] = StateGraph(Step)
    graph.add_node("sync", engine.sync)
    graph.add_node("calibrate", engine.calibrate)
    graph.add_node("route", engine.route)
    graph.add_node("ask", engine.ask)
    graph.add_node("evaluate", engine.evaluate)
    graph.add_node("update", engine.update)
    graph.add_node("conclude", engine.conclude)
    graph.add_edge(START, "sync")
    graph.add_conditional_edges("sync", engine.after_sync, ["calibrate", "route", "evaluate", END])
    graph.add_edge("calibrate", "route")
    graph.add_conditional_edges("route", _decided, ["ask", "conclude"])
    graph.add_edge("ask", "evaluate")
    graph.add_edge("evaluate", "update")
    graph.add_edge("update", "route")
    graph.add_edge("conclude", END)
    return graph

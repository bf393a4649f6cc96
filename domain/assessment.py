"""The assessment session aggregate: every step of an adaptive assessment is one of its events.

The log is the truth of a session; the workflow's checkpoint is only a cache of where it stands.
Timestamps come from the caller's clock (``at``), so inactivity is measured on the same clock
that decides a timeout.

Answer text never enters the log readable: ``AssessmentAnswered.sealed`` holds the answer, the
evaluator's evidence and reasoning sealed with the session's data key, which lives outside the
log (deleting it leaves the events intact and unreadable). Numbers are recorded in clear: the
evaluation's confidence and Bloom level, the key points covered, and the knowledge-graph nodes
the answer changed, as the domain policy computed them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.assessment_policy import Asked, Decision, Move, Node, with_topic
from domain.errors import Conflict, Gone
from domain.knowledge import BloomLevel

ACTIVE = "active"
COMPLETED = "completed"
TIMED_OUT = "timed_out"
DELETED = "deleted"

SESSION_COMPLETED = "Session already completed"
SESSION_TIMED_OUT = "Session has timed out"
NOT_COMPLETED = "Assessment is not completed yet"


@dataclass(frozen=True, slots=True)
class AskedQuestion:
    number: int
    concept_id: str
    question_index: int
    bloom: BloomLevel
    text: str
    move: str


@dataclass(frozen=True, slots=True)
class RecordedAnswer:
    number: int
    concept_id: str
    confidence: float
    bloom: BloomLevel
    digest: str


def node_record(concept_id: str, node: Node) -> dict[str, Any]:
    return {
        "concept": concept_id, "confidence": node.confidence, "bloom": node.bloom.label,
        "assessed": node.assessed, "answers": node.answers,
    }


def node_of(record: dict[str, Any]) -> Node:
    return Node(
        float(record["confidence"]), BloomLevel.parse(record["bloom"]),
        bool(record["assessed"]), int(record["answers"]),
    )


class Assessment(Aggregate):
    class AssessmentStarted(Aggregate.Created):
        user_id: str
        org_id: str | None
        skill_ids: list[str]
        target_level: str
        requested_role_id: str | None
        role_id: str
        thoroughness: str
        topics: list[str]
        pool: list[str]
        questions_per_topic: int
        max_questions: int
        estimated_questions: int
        evaluator: str

    def __init__(
        self, user_id: str, org_id: str | None, skill_ids: list[str], target_level: str,
        requested_role_id: str | None, role_id: str, thoroughness: str, topics: list[str],
        pool: list[str], questions_per_topic: int, max_questions: int,
        estimated_questions: int, evaluator: str,
    ) -> None:
        self.user_id = user_id
        self.org_id = org_id
        self.skill_ids = list(skill_ids)
        self.target_level = target_level
        self.requested_role_id = requested_role_id
        self.role_id = role_id
        self.thoroughness = thoroughness
        self.topics = list(topics)
        self.pool = list(pool)
        self.questions_per_topic = questions_per_topic
        self.max_questions = max_questions
        self.estimated_questions = estimated_questions
        self.evaluator = evaluator
        self.status = ACTIVE
        self.questions: list[AskedQuestion] = []
        self.answers: list[RecordedAnswer] = []
        self.graph: dict[str, Node] = {}
        self.scores: list[dict[str, Any]] = []
        self.overall_readiness: int | None = None
        #: the recorded report (sealed JSON), once the first report request wrote it
        self.report: str | None = None

    @classmethod
    def start(cls, session_id: UUID, at: datetime, **fields: Any) -> Assessment:
        return cls._create(cls.AssessmentStarted, id=session_id, timestamp=at, **fields)

    # -- questions ----------------------------------------------------------------------
    class QuestionAsked(Aggregate.Event):
        number: int
        concept_id: str
        question_index: int
        bloom: str
        text: str
        move: str
        adds_topic: bool

        def apply(self, aggregate: Assessment) -> None:
            if self.adds_topic and aggregate.questions:
                aggregate.topics = with_topic(
                    aggregate.topics, aggregate.questions[-1].concept_id, self.concept_id
                )
            aggregate.questions.append(AskedQuestion(
                self.number, self.concept_id, self.question_index,
                BloomLevel.parse(self.bloom), self.text, self.move,
            ))

    def ask(self, decision: Decision, bloom: BloomLevel, text: str, at: datetime) -> AskedQuestion:
        self.ensure_active()
        if self.pending is not None:
            raise Conflict("A question is already waiting for its answer")
        if decision.move == Move.CONCLUDE or decision.concept_id is None:
            raise ValueError("a concluding decision asks nothing")
        self.trigger_event(
            self.QuestionAsked, timestamp=at, number=len(self.questions) + 1,
            concept_id=decision.concept_id, question_index=decision.question_index or 0,
            bloom=bloom.label, text=text, move=decision.move.value,
            adds_topic=decision.adds_topic,
        )
        return self.questions[-1]

    # -- answers ------------------------------------------------------------------------
    class AssessmentAnswered(Aggregate.Event):
        number: int
        concept_id: str
        #: answer, evidence and reasoning, sealed with the session's data key
        sealed: str
        #: keyed digest of the answer (same key): recognises a client's retry, reveals nothing
        digest: str
        confidence: float
        bloom: str
        covered_key_points: list[int]
        evaluator: str
        #: the knowledge-graph nodes this answer changed, as the policy computed them
        graph: list[dict[str, Any]]

        def apply(self, aggregate: Assessment) -> None:
            aggregate.answers.append(RecordedAnswer(
                self.number, self.concept_id, self.confidence, BloomLevel.parse(self.bloom),
                self.digest,
            ))
            for record in self.graph:
                aggregate.graph[record["concept"]] = node_of(record)

    def record_answer(
        self, *, number: int, sealed: str, digest: str, confidence: float, bloom: BloomLevel,
        covered_key_points: list[int], evaluator: str, changes: dict[str, Node], at: datetime,
    ) -> None:
        self.ensure_active()
        pending = self.pending
        if pending is None or pending.number != number:
            raise Conflict(f"Question {number} is not waiting for an answer")
        self.trigger_event(
            self.AssessmentAnswered, timestamp=at, number=number, concept_id=pending.concept_id,
            sealed=sealed, digest=digest, confidence=round(confidence, 4), bloom=bloom.label,
            covered_key_points=sorted(covered_key_points), evaluator=evaluator,
            graph=[node_record(cid, node) for cid, node in sorted(changes.items())],
        )

    # -- the end ------------------------------------------------------------------------
    class AssessmentCompleted(Aggregate.Event):
        user_id: str
        org_id: str | None
        #: ProficiencyScoreOut-shaped: skillId, skillName, score, confidence, reasoning
        scores: list[dict[str, Any]]
        overall_readiness: int | None

        def apply(self, aggregate: Assessment) -> None:
            aggregate.status = COMPLETED
            aggregate.scores = list(self.scores)
            aggregate.overall_readiness = self.overall_readiness

    def complete(self, scores: list[dict[str, Any]], readiness: int | None, at: datetime) -> None:
        self.ensure_active()
        if self.pending is not None:
            raise Conflict("A question is still waiting for its answer")
        self.trigger_event(
            self.AssessmentCompleted, timestamp=at, user_id=self.user_id, org_id=self.org_id,
            scores=scores, overall_readiness=readiness,
        )

    class AssessmentTimedOut(Aggregate.Event):
        idle_seconds: int

        def apply(self, aggregate: Assessment) -> None:
            aggregate.status = TIMED_OUT

    def time_out(self, at: datetime) -> None:
        if self.status == ACTIVE:
            idle = int((at - self.modified_on).total_seconds())
            self.trigger_event(self.AssessmentTimedOut, timestamp=at, idle_seconds=idle)

    class AssessmentReported(Aggregate.Event):
        """The report as first served: every later request answers these exact bytes."""

        #: the report's JSON, sealed with the session's data key (deleting the key shreds it)
        sealed: str
        #: what wrote its text, e.g. ``offline:kb-report-v1`` or ``anthropic:<model>``
        writer: str

        def apply(self, aggregate: Assessment) -> None:
            aggregate.report = self.sealed

    def record_report(self, sealed: str, writer: str, at: datetime) -> None:
        if self.status != COMPLETED:
            raise Conflict(NOT_COMPLETED, code="SESSION_NOT_COMPLETED")
        if self.report is not None:
            raise Conflict("The report is already recorded", code="REPORT_RECORDED")
        self.trigger_event(self.AssessmentReported, timestamp=at, sealed=sealed, writer=writer)

    class AssessmentDeleted(Aggregate.Event):
        def apply(self, aggregate: Assessment) -> None:
            aggregate.status = DELETED

    def delete(self, at: datetime) -> None:
        if self.status != DELETED:
            self.trigger_event(self.AssessmentDeleted, timestamp=at)

    # -- reading ------------------------------------------------------------------------
    @property
    def pending(self) -> AskedQuestion | None:
        """The question waiting for its answer, if any."""
        if self.questions and len(self.answers) < len(self.questions):
            return self.questions[-1]
        return None

    @property
    def asked(self) -> list[Asked]:
        return [Asked(q.concept_id, q.question_index, q.bloom) for q in self.questions]

    @property
    def last_confidence(self) -> float | None:
        return self.answers[-1].confidence if self.answers else None

    @property
    def topics_evaluated(self) -> int:
        return len({a.concept_id for a in self.answers})

    def idle_seconds(self, now: datetime) -> float:
        return (now - self.modified_on).total_seconds()

    def ensure_active(self) -> None:
        if self.status == COMPLETED:
            raise Conflict(SESSION_COMPLETED, code="SESSION_COMPLETED")
        if self.status == TIMED_OUT:
            raise Gone(SESSION_TIMED_OUT, code="SESSION_TIMED_OUT")
        if self.status == DELETED:
            raise Gone("Session was deleted", code="SESSION_DELETED")

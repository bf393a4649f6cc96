"""The OpenLearning assessment routes' request and response shapes (seed 002)."""

from __future__ import annotations

from typing import Annotated

import msgspec

MAX_ANSWER = 10_000


class StartAssessment(msgspec.Struct, rename="camel", kw_only=True):
    skill_ids: Annotated[list[Annotated[str, msgspec.Meta(max_length=100)]],
                         msgspec.Meta(max_length=50)]
    target_level: str = "mid"
    role_id: str | None = None
    thoroughness: str = "standard"


class AssessmentStartResponse(msgspec.Struct, rename="camel"):
    session_id: str
    question: str
    estimated_questions: int


class RespondRequest(msgspec.Struct, rename="camel", kw_only=True):
    response: Annotated[str, msgspec.Meta(max_length=MAX_ANSWER)]
    #: optional: the number of the question this answers (from ``[META]``), which makes a
    #: retried answer exactly idempotent; clients of the seed omit it
    question_id: int | None = None


class ResumeResponse(msgspec.Struct, rename="camel"):
    session_id: str
    question: str


class GraphNode(msgspec.Struct, rename="camel"):
    concept: str
    confidence: float
    bloom_level: str
    prerequisites: list[str]


class KnowledgeGraphOut(msgspec.Struct):
    nodes: list[GraphNode]


class AssessmentSummary(msgspec.Struct, rename="camel"):
    session_id: str
    status: str
    skill_ids: list[str]
    target_level: str
    role_id: str | None
    role_name: str | None
    created_at: str
    completed_at: str | None
    overall_readiness: int | None
    skill_count: int


class ProficiencyScoreOut(msgspec.Struct, rename="camel"):
    skill_id: str
    skill_name: str
    score: int
    confidence: float
    reasoning: str

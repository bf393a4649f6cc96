"""The evaluator port: writes the question for a chosen concept and Bloom level, and judges an
answer against the concept's key points and rubric.

Which concept, which level, and what a judgement does to the knowledge graph are decided by
``domain.assessment_policy``; an evaluator only supplies the words and one judgement. Adapters:
``OfflineEvaluator`` (deterministic, the embedded default) and ``ModelEvaluator`` (a language
model through ``application.language_model``, e.g. Anthropic with the user's own key).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from domain.knowledge import BloomLevel, Concept


@dataclass(frozen=True, slots=True)
class Evaluation:
    #: 0..1: how sure we are the learner knows the concept, from this answer alone
    confidence: float
    #: the Bloom level the answer demonstrates
    bloom: BloomLevel
    #: indices into ``concept.key_points`` that the answer covers
    covered_key_points: list[int] = field(default_factory=list)
    #: short observations supporting the judgement (may quote the answer: sealed like it)
    evidence: list[str] = field(default_factory=list)
    reasoning: str = ""


class Evaluator(Protocol):
    @property
    def name(self) -> str:
        """Recorded on each answer, e.g. ``offline:keypoints-v1``."""
        ...

    @property
    def asks_locally(self) -> bool:
        """True when ``question`` needs no outside call and cannot fail (the offline bank):
        a judged answer is then appended together with the next question, one write per
        turn. False for a model: the answer is recorded before the model is asked to write
        the next question, so a failed or hung call never costs the judgement."""
        ...

    async def question(
        self, concept: Concept, question_index: int, previous: Sequence[str]
    ) -> str:
        """The text of the next question on ``concept``, at the level of the bank question
        ``question_index``; ``previous`` are the questions already asked in the session."""
        ...

    async def evaluate(
        self, concept: Concept, question: str, bloom: BloomLevel, answer: str
    ) -> Evaluation:
        """Judge ``answer`` to ``question`` (asked at ``bloom``); may raise a ``ModelError``."""
        ...

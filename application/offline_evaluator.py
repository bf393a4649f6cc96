"""The offline evaluator: deterministic, no network, the embedded default.

It asks the knowledge base's own questions and scores an answer by which key points it mentions
(each key point's keywords, matched as whole words, a plural allowed). That measures vocabulary,
not understanding, and every judgement says so in its reasoning.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from application.evaluator import Evaluation
from domain.knowledge import BloomLevel, Concept

NAME = "offline:keypoints-v1"
#: keywords of a key point that must appear for it to count as fully covered
_FULL_AT = 2
_COVERED_AT = 0.5


@lru_cache(maxsize=4096)
def _pattern(keyword: str) -> re.Pattern[str]:
    words = r"\s+".join(re.escape(w) for w in keyword.lower().split())
    return re.compile(rf"(?<![a-z0-9]){words}(?:e?s)?(?![a-z0-9])")


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def key_point_scores(concept: Concept, answer: str) -> list[float]:
    """0..1 per key point: the share of its keywords found, full at two."""
    text = _normalise(answer)
    out = []
    for point in concept.key_points:
        hits = sum(1 for kw in point.keywords if _pattern(kw).search(text))
        out.append(min(1.0, hits / min(_FULL_AT, len(point.keywords))))
    return out


def demonstrated_bloom(asked: BloomLevel, coverage: float) -> BloomLevel:
    """The level of the question when most key points are there, one below when about half
    are, the lowest otherwise."""
    if coverage >= 0.7:
        return asked
    if coverage >= 0.4:
        return BloomLevel(max(BloomLevel.REMEMBER, asked - 1))
    return BloomLevel.REMEMBER


class OfflineEvaluator:
    @property
    def name(self) -> str:
        return NAME

    @property
    def asks_locally(self) -> bool:
        return True

    async def question(
        self, concept: Concept, question_index: int, previous: Sequence[str]
    ) -> str:
        return concept.questions[question_index].text

    async def evaluate(
        self, concept: Concept, question: str, bloom: BloomLevel, answer: str
    ) -> Evaluation:
        return judge(concept, bloom, answer)


def judge(concept: Concept, bloom: BloomLevel, answer: str) -> Evaluation:
    scores = key_point_scores(concept, answer)
    coverage = sum(scores) / len(scores) if scores else 0.0
    covered = [i for i, s in enumerate(scores) if s >= _COVERED_AT]
    shown = demonstrated_bloom(bloom, coverage)
    evidence = [f"mentions: {concept.key_points[i].text}" for i in covered]
    missing = len(scores) - len(covered)
    reasoning = (
        "Scored by the offline evaluator, not a language model: it only checks which of the"
        f" concept's key points the answer mentions by keyword. {len(covered)} of {len(scores)}"
        f" key points mentioned ({missing} missing); coverage {coverage:.2f}, judged at"
        f" '{shown.label}' for a '{bloom.label}' question."
    )
    return Evaluation(round(coverage, 4), shown, covered, evidence, reasoning)

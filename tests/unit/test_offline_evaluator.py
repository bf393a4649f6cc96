"""The offline evaluator: deterministic, asks from the question bank, scores against key points,
and says plainly what it is."""

from __future__ import annotations

import asyncio

from application.offline_evaluator import OfflineEvaluator, judge
from domain.knowledge import BloomLevel
from infrastructure.knowledge_base import load_knowledge_base

KB = load_knowledge_base()
CONCEPT = KB.concept("http_fundamentals")


def test_an_answer_covering_every_key_point_scores_high_at_the_question_level():
    answer = " ".join(" ".join(p.keywords) for p in CONCEPT.key_points)
    judged = judge(CONCEPT, BloomLevel.APPLY, answer)
    assert judged.confidence == 1.0
    assert judged.bloom == BloomLevel.APPLY
    assert judged.covered_key_points == list(range(len(CONCEPT.key_points)))


def test_an_unrelated_answer_scores_zero_at_the_lowest_level():
    judged = judge(CONCEPT, BloomLevel.APPLY, "I would ask a colleague.")
    assert judged.confidence == 0.0 and judged.bloom == BloomLevel.REMEMBER
    assert judged.covered_key_points == [] and judged.evidence == []


def test_partial_coverage_and_the_reasoning_says_offline_plainly():
    first = CONCEPT.key_points[0]
    judged = judge(CONCEPT, BloomLevel.ANALYZE, " and ".join(first.keywords))
    assert 0 < judged.confidence < 1
    assert judged.covered_key_points == [0]
    assert "offline evaluator" in judged.reasoning and "not a language model" in judged.reasoning
    assert judged == judge(CONCEPT, BloomLevel.ANALYZE, " and ".join(first.keywords))


def test_keywords_match_whole_words_only():
    keyword = CONCEPT.key_points[0].keywords[0]
    glued = judge(CONCEPT, BloomLevel.REMEMBER, f"x{keyword.replace(' ', '')}x")
    assert 0 not in glued.covered_key_points


def test_it_asks_the_question_bank_verbatim():
    evaluator = OfflineEvaluator()
    asked = asyncio.run(evaluator.question(CONCEPT, 1, []))
    assert asked == CONCEPT.questions[1].text
    assert evaluator.name.startswith("offline:")

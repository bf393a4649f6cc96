"""The assessment's deterministic rules, without a model: the knowledge-graph update, prerequisite
inference, routing (deeper, probe, pivot, conclude), the caps per thoroughness, at most ten
topics, and no question after the last topic."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.assessment_policy import (
    DEMONSTRATED,
    MAX_TOPICS,
    Asked,
    Move,
    Node,
    Thoroughness,
    blend,
    opening_question,
    plan_topics,
    readiness,
    route,
    scores,
    update_graph,
    with_topic,
)
from domain.errors import InvalidInput
from domain.knowledge import BloomLevel, Concept, Level
from infrastructure.knowledge_base import load_knowledge_base

KB = load_knowledge_base()
ROLE = KB.role("backend_engineering")
POOL = ROLE.concepts_up_to(Level.SENIOR)
CONCEPTS = {c.id: c for c in POOL}


def with_prerequisites() -> Concept:
    return next(c for c in POOL if len(c.prerequisites) >= 2)


def test_update_blends_seventy_percent_old_thirty_percent_new():
    assert blend(0.8, 0.2) == pytest.approx(0.62)
    concept = POOL[0]
    first = update_graph({}, concept, 0.5, BloomLevel.APPLY)
    assert first[concept.id] == Node(0.5, BloomLevel.APPLY, True, 1)
    second = update_graph(first, concept, 1.0, BloomLevel.ANALYZE)
    assert second[concept.id].confidence == pytest.approx(0.7 * 0.5 + 0.3 * 1.0)
    assert second[concept.id].answers == 2


def test_a_demonstrated_concept_lends_its_prerequisites_half_its_confidence():
    concept = with_prerequisites()
    changes = update_graph({}, concept, 0.9, BloomLevel.APPLY)
    for prerequisite in concept.prerequisites:
        assert changes[prerequisite].confidence == pytest.approx(0.45)
        assert changes[prerequisite].assessed is False


def test_inference_never_overrides_direct_evidence_nor_lowers_a_belief():
    concept = with_prerequisites()
    assessed, inferred = concept.prerequisites[:2]
    graph = {
        assessed: Node(0.2, BloomLevel.REMEMBER, True, 1),
        inferred: Node(0.48, BloomLevel.REMEMBER, False),
    }
    changes = update_graph(graph, concept, 0.9, BloomLevel.APPLY)
    assert assessed not in changes
    assert inferred not in changes  # 0.45 would lower 0.48


def test_a_weak_answer_infers_nothing():
    concept = with_prerequisites()
    changes = update_graph({}, concept, DEMONSTRATED - 0.01, BloomLevel.REMEMBER)
    assert set(changes) == {concept.id}


def test_direct_evidence_replaces_an_inferred_belief():
    concept = POOL[0]
    graph = {concept.id: Node(0.45, BloomLevel.REMEMBER, False)}
    assert update_graph(graph, concept, 0.1, BloomLevel.REMEMBER)[concept.id].confidence == 0.1


def _state(topics: list[str], asked: list[Asked], confidence: float | None, per_topic: int = 4,
           graph: dict[str, Node] | None = None):
    return route(topics=topics, concepts=CONCEPTS, asked=asked, graph=graph or {},
                 last_confidence=confidence, questions_per_topic=per_topic)


def _asked(concept: Concept, index: int) -> Asked:
    return Asked(concept.id, index, concept.questions[index].bloom)


def test_routing_calibrates_then_goes_deeper_after_a_strong_answer():
    concept = with_prerequisites()
    first = _state([concept.id], [], None)
    assert first.move == Move.CALIBRATE and first.concept_id == concept.id
    assert first.question_index == opening_question(concept)
    strong = _state([concept.id], [_asked(concept, first.question_index)], 0.9)
    assert strong.move == Move.DEEPER and strong.concept_id == concept.id
    assert concept.questions[strong.question_index].bloom > concept.questions[first.question_index].bloom


def test_routing_probes_after_a_middling_answer():
    concept = POOL[5]
    opening = opening_question(concept)
    probe = _state([concept.id], [_asked(concept, opening)], 0.5)
    assert probe.move == Move.PROBE and probe.concept_id == concept.id
    assert probe.question_index != opening


def test_a_weak_answer_steps_down_to_an_unassessed_prerequisite():
    concept = with_prerequisites()
    weak = _state([concept.id], [_asked(concept, opening_question(concept))], 0.1)
    assert weak.move == Move.PIVOT and weak.adds_topic
    assert weak.concept_id == concept.prerequisites[0]
    assert with_topic([concept.id, "x"], concept.id, weak.concept_id) == [concept.id, weak.concept_id, "x"]


def test_the_cap_per_topic_pivots_to_the_next_topic_and_concludes_after_the_last():
    a, b = POOL[0], POOL[1]
    asked = [_asked(a, 0), _asked(a, 1)]
    moved = _state([a.id, b.id], asked, 0.9, per_topic=2)
    assert moved.move == Move.PIVOT and moved.concept_id == b.id and not moved.adds_topic
    last = _state([a.id, b.id], [*asked, _asked(b, 0), _asked(b, 1)], 0.5, per_topic=2)
    assert last.move == Move.CONCLUDE and last.concept_id is None


@pytest.mark.parametrize("thoroughness,cap", [("quick", 2), ("standard", 4), ("thorough", 6)])
@pytest.mark.parametrize("answers", ["strong", "middling", "weak", "mixed"])
def test_whole_sessions_respect_the_caps_and_the_ten_topics(thoroughness: str, cap: int, answers: str):
    t = Thoroughness.parse(thoroughness)
    topics = plan_topics(POOL, Level.SENIOR, ["python", "sql"], t.planned_topics)
    confidence: Callable[[int], float] = {
        "strong": lambda n: 0.95, "middling": lambda n: 0.55, "weak": lambda n: 0.05,
        "mixed": lambda n: (0.95, 0.5, 0.1)[n % 3],
    }[answers]
    asked: list[Asked] = []
    graph: dict[str, Node] = {}
    last: float | None = None
    for _ in range(500):
        d = _state(topics, asked, last, per_topic=t.questions_per_topic, graph=graph)
        if d.move == Move.CONCLUDE:
            break
        if d.adds_topic:
            topics = with_topic(topics, asked[-1].concept_id, d.concept_id)
        concept = CONCEPTS[d.concept_id]
        asked.append(_asked(concept, d.question_index))
        last = confidence(len(asked))
        graph.update(update_graph(graph, concept, last, concept.questions[d.question_index].bloom))
    else:
        pytest.fail("the session never concluded")
    per_topic = {cid: sum(1 for a in asked if a.concept_id == cid) for cid in topics}
    assert max(per_topic.values()) <= cap
    assert len(topics) <= MAX_TOPICS
    assert set(per_topic) == set(topics) and all(per_topic.values())  # every topic asked, no stray
    assert len({(a.concept_id, a.question_index) for a in asked}) == len(asked)  # no repeats


def test_calibration_prefers_the_target_level_and_keeps_prerequisites_first():
    topics = plan_topics(POOL, Level.MID, ["rest-api"], 8)
    levels = [CONCEPTS[t].level for t in topics]
    assert len(topics) == 8 and levels.count(Level.MID) == 8
    order = [c.id for c in POOL]
    assert topics == sorted(topics, key=order.index)


def test_scores_and_readiness_come_from_the_graph():
    a, b = POOL[0], POOL[1]
    graph = {a.id: Node(a.target_confidence, BloomLevel.APPLY, True, 2),
             b.id: Node(b.target_confidence / 2, BloomLevel.REMEMBER, True, 1)}
    out = scores([a.id, b.id], CONCEPTS, graph)
    assert [s.concept_id for s in out] == [a.id, b.id]
    assert out[0].score == round(a.target_confidence * 100)
    assert readiness([a.id, b.id], CONCEPTS, graph) == 75


def test_thoroughness_must_be_one_of_three():
    assert [Thoroughness.parse(n).questions_per_topic for n in ("quick", "standard", "thorough")] == [2, 4, 6]
    with pytest.raises(InvalidInput):
        Thoroughness.parse("exhaustive")

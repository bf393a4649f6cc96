"""Gap analysis numbers: the seed's priority thresholds at their boundaries, targets from the
knowledge base, worst gaps first, readiness."""

from __future__ import annotations

import pytest

from domain.gap_analysis import (
    DEFAULT_TARGET,
    Priority,
    Proficiency,
    gaps,
    overall_readiness,
    priority,
    target_level,
)
from infrastructure.knowledge_base import load_knowledge_base

KB = load_knowledge_base()


@pytest.mark.parametrize(("gap", "expected"), [
    (0, "low"), (10, "low"), (11, "medium"), (25, "medium"), (26, "high"), (40, "high"),
    (41, "critical"), (100, "critical"),
])
def test_priority_thresholds_at_the_boundaries(gap, expected):
    assert priority(gap) == Priority(expected)


def test_targets_come_from_the_knowledge_base():
    http = KB.concept("http_fundamentals")
    assert target_level(KB, "http_fundamentals") == round(http.target_confidence * 100)
    # a skill of the taxonomy: the mean target of the concepts evidencing it
    evidencing = [c.target_confidence for r in KB.roles for c in r.concepts if "sql" in c.skills]
    assert target_level(KB, "sql") == round(100 * sum(evidencing) / len(evidencing))
    assert target_level(KB, "underwater-basket-weaving") == DEFAULT_TARGET


def test_gaps_at_each_threshold_get_the_seeds_priority_and_come_worst_first():
    target = DEFAULT_TARGET  # unknown ids: the default target, so the gap is exact
    scores = [Proficiency(f"skill-{gap}", "", target - gap) for gap in (10, 41, 11, 26, 25, 40)]
    found = gaps(KB, scores)
    assert [(g.gap, g.priority.value) for g in found] == [
        (41, "critical"), (40, "high"), (26, "high"), (25, "medium"), (11, "medium"), (10, "low"),
    ]
    assert all(g.current + g.gap == g.target for g in found)


def test_skills_at_or_above_their_target_are_no_gap_and_names_come_from_the_knowledge_base():
    http = target_level(KB, "http_fundamentals")
    found = gaps(KB, [Proficiency("http_fundamentals", "", http),
                      Proficiency("sql_basics", "", 10),
                      Proficiency("sql_basics", "", 99)])  # a repeat does not count
    assert [g.skill_id for g in found] == ["sql_basics"]
    assert found[0].skill_name == KB.concept("sql_basics").name
    assert found[0].current == 10


def test_ties_keep_the_order_of_the_scores():
    found = gaps(KB, [Proficiency("b-skill", "B", 50), Proficiency("a-skill", "A", 50)])
    assert [g.skill_id for g in found] == ["b-skill", "a-skill"]


def test_readiness_averages_each_skill_capped_at_its_target():
    assert overall_readiness(KB, []) is None
    scores = [Proficiency("x-skill", "", 100), Proficiency("y-skill", "", 30)]
    assert overall_readiness(KB, scores) == round(100 * (1.0 + 30 / DEFAULT_TARGET) / 2)

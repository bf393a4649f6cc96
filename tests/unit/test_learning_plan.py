"""Learning plan numbers: phases in the knowledge base's prerequisite order, hours that add up."""

from __future__ import annotations

import random

import pytest

from domain.gap_analysis import Gap, Proficiency, gaps, priority
from domain.learning_plan import MAX_PER_PHASE, MIN_SHARE, plan, study_hours, total_hours
from infrastructure.knowledge_base import load_knowledge_base

KB = load_knowledge_base()


def gap(skill_id: str, current: int = 20, target: int = 80) -> Gap:
    return Gap(skill_id, skill_id, current, target, target - current, priority(target - current))


def prerequisites_closure(concept_id: str) -> set[str]:
    out: set[str] = set()
    stack = list(KB.concept(concept_id).prerequisites)
    while stack:
        cid = stack.pop()
        if cid not in out:
            out.add(cid)
            stack.extend(KB.concept(cid).prerequisites)
    return out


def test_prerequisites_come_in_earlier_phases_even_when_listed_last():
    phases = plan(KB, [gap("rest_api_design"), gap("crud_endpoints"), gap("sql_basics"),
                       gap("http_fundamentals")])
    assert [[c.concept_id for c in p.concepts] for p in phases] == [
        ["http_fundamentals", "sql_basics"], ["crud_endpoints"], ["rest_api_design"],
    ]
    assert [p.number for p in phases] == [1, 2, 3]


def test_a_prerequisite_reached_through_a_concept_that_is_no_gap_still_comes_first():
    # rest_api_design needs crud_endpoints, which needs sql_basics; crud_endpoints is no gap
    phases = plan(KB, [gap("rest_api_design"), gap("sql_basics")])
    assert [[c.concept_id for c in p.concepts] for p in phases] == [["sql_basics"], ["rest_api_design"]]


@pytest.mark.parametrize("seed", range(25))
def test_no_concept_ever_comes_before_its_prerequisites(seed):
    rng = random.Random(seed)
    role = rng.choice(KB.roles)
    chosen = rng.sample([c.id for c in role.concepts], rng.randint(1, 12))
    phases = plan(KB, [gap(cid, rng.randint(0, 60), 80) for cid in chosen])
    order = [c.concept_id for p in phases for c in p.concepts]
    assert sorted(order) == sorted(chosen)
    phase_of = {c.concept_id: p.number for p in phases for c in p.concepts}
    for cid in chosen:
        for before in prerequisites_closure(cid) & set(chosen):
            assert phase_of[before] < phase_of[cid], (before, cid)
    assert all(1 <= len(p.concepts) <= MAX_PER_PHASE for p in phases)
    assert total_hours(phases) == sum(p.hours for p in phases)
    assert all(p.hours == sum(c.hours for c in p.concepts) for p in phases)


def test_hours_scale_with_the_missing_share_of_the_target_in_half_hours():
    assert study_hours(6.0, 40, 80) == 3.0
    assert study_hours(6.0, 80, 80) == 6.0
    assert study_hours(4.0, 1, 80) == 4.0 * MIN_SHARE
    assert study_hours(5.0, 30, 80) == 2.0  # 1.875 rounded up to the half hour
    phases = plan(KB, [gap("http_fundamentals", 40, 80)])
    assert phases[0].hours == KB.concept("http_fundamentals").study_hours / 2


def test_unknown_ids_come_last_and_concepts_carry_the_knowledge_bases_resources():
    phases = plan(KB, gaps(KB, [Proficiency("kubernetes-operators", "", 10),
                                Proficiency("http_fundamentals", "", 10)]))
    assert [c.concept_id for p in phases for c in p.concepts] == ["http_fundamentals",
                                                                  "kubernetes-operators"]
    http = phases[0].concepts[0]
    assert http.resources == KB.concept("http_fundamentals").resources and http.resources
    assert phases[-1].concepts[0].resources == ()


def test_no_gaps_no_phases():
    assert plan(KB, []) == [] and total_hours([]) == 0

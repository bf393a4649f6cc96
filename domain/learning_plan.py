"""Learning plans: which gap is studied when, and for how long. Pure.

Order follows the knowledge base's prerequisites: a gap concept comes after every gap concept
it builds on (directly or through concepts in between), so no phase asks for something a later
phase teaches. Concepts that build on nothing planned form the first layer, those that build
only on the first the second, and so on; a layer is split into phases of at most
``MAX_PER_PHASE`` concepts, lower career levels first, then the knowledge base's own order.
Ids the knowledge base does not know have no known prerequisites: they come last.

Hours scale a concept's ``study_hours`` by how much of its target is missing (never below
``MIN_SHARE`` of it), rounded up to half hours; a phase is the sum of its concepts and the plan
the sum of its phases, so the figures always add up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from domain.errors import NotFound
from domain.gap_analysis import Gap
from domain.knowledge import Concept, KnowledgeBase, Level, Resource

MAX_PER_PHASE = 3
MIN_SHARE = 0.25
#: the study time of an id the knowledge base does not know
DEFAULT_STUDY_HOURS = 4.0


@dataclass(frozen=True, slots=True)
class PlannedConcept:
    concept_id: str
    name: str
    #: None for an id the knowledge base does not know
    level: Level | None
    hours: float
    resources: tuple[Resource, ...]
    priority: str


@dataclass(frozen=True, slots=True)
class Phase:
    number: int
    concepts: tuple[PlannedConcept, ...]

    @property
    def hours(self) -> float:
        return sum(c.hours for c in self.concepts)


def study_hours(base: float, gap: int, target: int) -> float:
    share = min(1.0, max(MIN_SHARE, gap / target)) if target > 0 else 1.0
    return max(0.5, math.ceil(base * share * 2) / 2)


def total_hours(phases: Sequence[Phase]) -> float:
    return sum(p.hours for p in phases)


def _concept(kb: KnowledgeBase, concept_id: str) -> Concept | None:
    try:
        return kb.concept(concept_id)
    except NotFound:
        return None


def _builds_on(kb: KnowledgeBase, concept: Concept, planned: set[str]) -> set[str]:
    """The planned concepts ``concept`` needs first, through any chain of prerequisites."""
    found: set[str] = set()
    seen: set[str] = set()
    stack = list(concept.prerequisites)
    while stack:
        cid = stack.pop()
        if cid in seen:
            continue
        seen.add(cid)
        if cid in planned:
            found.add(cid)
        prerequisite = _concept(kb, cid)
        if prerequisite is not None:
            stack.extend(prerequisite.prerequisites)
    return found


def _positions(kb: KnowledgeBase) -> dict[str, int]:
    out: dict[str, int] = {}
    for role in kb.roles:
        for concept in role.ordered:
            out.setdefault(concept.id, len(out))
    return out


def plan(kb: KnowledgeBase, gaps: Sequence[Gap]) -> list[Phase]:
    known: dict[str, tuple[Concept, Gap]] = {}
    unknown: list[Gap] = []
    for g in gaps:
        if g.skill_id in known or any(u.skill_id == g.skill_id for u in unknown):
            continue
        concept = _concept(kb, g.skill_id)
        if concept is None:
            unknown.append(g)
        else:
            known[g.skill_id] = (concept, g)
    planned = set(known)
    needs = {cid: _builds_on(kb, c, planned) for cid, (c, _) in known.items()}
    depth: dict[str, int] = {}

    def depth_of(cid: str) -> int:
        if cid not in depth:
            depth[cid] = 1 + max((depth_of(p) for p in needs[cid]), default=-1)
        return depth[cid]

    position = _positions(kb)
    ordered = sorted(known, key=lambda cid: (depth_of(cid), known[cid][0].level, position[cid]))
    layers: list[list[PlannedConcept]] = []
    for cid in ordered:
        concept, g = known[cid]
        item = PlannedConcept(cid, concept.name, concept.level,
                              study_hours(concept.study_hours, g.gap, g.target),
                              concept.resources, g.priority.value)
        if len(layers) <= depth_of(cid):
            layers.append([])
        layers[depth_of(cid)].append(item)
    if unknown:
        layers.append([
            PlannedConcept(g.skill_id, g.skill_name, None,
                           study_hours(DEFAULT_STUDY_HOURS, g.gap, g.target), (), g.priority.value)
            for g in unknown
        ])
    phases: list[Phase] = []
    for layer in layers:
        for i in range(0, len(layer), MAX_PER_PHASE):
            phases.append(Phase(len(phases) + 1, tuple(layer[i:i + MAX_PER_PHASE])))
    return phases

"""Gap analysis: from proficiency scores (0-100) to gaps, priorities and overall readiness.

Pure. Every number a report or ``POST /api/gap-analysis`` shows comes from here; a language
model only writes the summary and the recommendations around them.

The target of a score is the knowledge base's: a concept's ``target_confidence`` as 0-100; a
skill of the taxonomy (``nodejs``) takes the mean target of the concepts that evidence it; an
id the knowledge base does not know takes ``DEFAULT_TARGET``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from domain.errors import NotFound
from domain.knowledge import KnowledgeBase

#: the seed's thresholds on the 0-100 scale: critical when gap > 40, high > 25, medium > 10
CRITICAL_OVER = 40
HIGH_OVER = 25
MEDIUM_OVER = 10
#: the target of a skill the knowledge base knows nothing about
DEFAULT_TARGET = 75


class Priority(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


def priority(gap: int) -> Priority:
    if gap > CRITICAL_OVER:
        return Priority.CRITICAL
    if gap > HIGH_OVER:
        return Priority.HIGH
    if gap > MEDIUM_OVER:
        return Priority.MEDIUM
    return Priority.LOW


@dataclass(frozen=True, slots=True)
class Proficiency:
    skill_id: str
    skill_name: str
    #: 0-100
    score: int


@dataclass(frozen=True, slots=True)
class Gap:
    skill_id: str
    skill_name: str
    current: int
    target: int
    gap: int
    priority: Priority


def level(value: float) -> int:
    """A 0-100 level from any number: rounded and clamped."""
    return max(0, min(100, round(value)))


def target_level(kb: KnowledgeBase, skill_id: str) -> int:
    try:
        return level(kb.concept(skill_id).target_confidence * 100)
    except NotFound:
        pass
    evidencing = [c.target_confidence for r in kb.roles for c in r.concepts if skill_id in c.skills]
    if evidencing:
        return level(100 * sum(evidencing) / len(evidencing))
    return DEFAULT_TARGET


def display_name(kb: KnowledgeBase, skill_id: str, given: str = "") -> str:
    """The name to show: the one given, else the knowledge base's, else the id made readable."""
    if given.strip():
        return given.strip()
    try:
        return kb.concept(skill_id).name
    except NotFound:
        pass
    if kb.has_skill(skill_id):
        return kb.skill(skill_id).name
    return skill_id.replace("_", " ").replace("-", " ").title()


def distinct(scores: Iterable[Proficiency]) -> list[Proficiency]:
    """One score per skill: the first given wins (a client that repeats one is not counted twice)."""
    seen: dict[str, Proficiency] = {}
    for s in scores:
        seen.setdefault(s.skill_id, s)
    return list(seen.values())


def gaps(kb: KnowledgeBase, scores: Iterable[Proficiency]) -> list[Gap]:
    """Every skill below its target, worst first (ties keep the order of the scores)."""
    out = []
    for s in distinct(scores):
        target = target_level(kb, s.skill_id)
        current = level(s.score)
        if current < target:
            out.append(Gap(s.skill_id, display_name(kb, s.skill_id, s.skill_name), current,
                           target, target - current, priority(target - current)))
    return sorted(out, key=lambda g: -g.gap)


def overall_readiness(kb: KnowledgeBase, scores: Iterable[Proficiency]) -> int | None:
    """0-100: how close the skills are to their targets on average, each capped at its target
    (the rule ``domain.assessment_policy.readiness`` applies to a session). None without scores."""
    ratios = []
    for s in distinct(scores):
        target = target_level(kb, s.skill_id)
        ratios.append(min(1.0, level(s.score) / target) if target > 0 else 1.0)
    return round(100 * sum(ratios) / len(ratios)) if ratios else None

"""The report writer port: the words around a gap analysis and a learning plan.

Every number (gaps, priorities, hours, order) is decided by ``domain.gap_analysis`` and
``domain.learning_plan`` before a writer is asked; a writer only writes the summaries, the
recommendations, the phase titles and their rationales. Adapters: ``OfflineReportWriter``
(deterministic, built from the knowledge base, the embedded default) and
``ModelReportWriter`` (a language model through ``application.language_model``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from domain.errors import NotFound
from domain.gap_analysis import Gap
from domain.knowledge import KnowledgeBase, Level
from domain.learning_plan import Phase

OFFLINE_NAME = "offline:kb-report-v1"
OFFLINE_NOTE = "Written offline from the knowledge base, without a language model."
LEVEL_TITLES = {
    Level.JUNIOR: "Foundations",
    Level.MID: "Core practice",
    Level.SENIOR: "Advanced practice",
    Level.STAFF: "Expert depth",
}


@dataclass(frozen=True, slots=True)
class GapTexts:
    summary: str
    #: skill id -> recommendation
    recommendations: dict[str, str]


@dataclass(frozen=True, slots=True)
class PhaseTexts:
    title: str
    rationale: str


@dataclass(frozen=True, slots=True)
class PlanTexts:
    summary: str
    #: one per phase, in phase order
    phases: list[PhaseTexts]


class ReportWriter(Protocol):
    @property
    def name(self) -> str:
        """Recorded with what it wrote, e.g. ``offline:kb-report-v1``."""
        ...

    async def gap_texts(self, gaps: Sequence[Gap], readiness: int | None) -> GapTexts: ...

    async def plan_texts(self, phases: Sequence[Phase], total_hours: float) -> PlanTexts: ...


def _hours(value: float) -> str:
    return f"{value:g} h"


def _names(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


class OfflineReportWriter:
    """Deterministic text from the knowledge base: the same numbers always read the same."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb

    @property
    def name(self) -> str:
        return OFFLINE_NAME

    async def gap_texts(self, gaps: Sequence[Gap], readiness: int | None) -> GapTexts:
        return self.gap_texts_now(gaps, readiness)

    async def plan_texts(self, phases: Sequence[Phase], total_hours: float) -> PlanTexts:
        return self.plan_texts_now(phases, total_hours)

    # -- the same, synchronously (the model writer falls back on these) --------------------
    def gap_texts_now(self, gaps: Sequence[Gap], readiness: int | None) -> GapTexts:
        return GapTexts(self.gap_summary(gaps, readiness),
                        {g.skill_id: self.recommendation(g) for g in gaps})

    def plan_texts_now(self, phases: Sequence[Phase], total_hours: float) -> PlanTexts:
        return PlanTexts(self.plan_summary(phases, total_hours),
                         [PhaseTexts(self.phase_title(p), self.rationale(p, phases)) for p in phases])

    def gap_summary(self, gaps: Sequence[Gap], readiness: int | None) -> str:
        ready = "" if readiness is None else f"Overall readiness {readiness}/100. "
        if not gaps:
            return f"{ready}No gaps: every skill assessed meets its target. {OFFLINE_NOTE}"
        counts = [(p, sum(1 for g in gaps if g.priority.value == p))
                  for p in ("critical", "high", "medium", "low")]
        spread = ", ".join(f"{n} {p}" for p, n in counts if n)
        worst = _names([g.skill_name for g in gaps[:3]])
        return (f"{ready}{len(gaps)} gap(s) to close ({spread}); the largest: {worst}."
                f" {OFFLINE_NOTE}")

    def recommendation(self, gap: Gap) -> str:
        head = (f"{gap.priority.value.capitalize()} priority: raise {gap.skill_name} from"
                f" {gap.current} to {gap.target}.")
        try:
            concept = self._kb.concept(gap.skill_id)
        except NotFound:
            return f"{head} The knowledge base has no study notes for this skill."
        focus = "; ".join(p.text.rstrip(".") for p in concept.key_points[:2])
        start = f" Start with: {concept.resources[0].title}." if concept.resources else ""
        return f"{head} {concept.description} Focus on: {focus}.{start}"

    def phase_title(self, phase: Phase) -> str:
        levels = [c.level for c in phase.concepts if c.level is not None]
        kind = LEVEL_TITLES[max(levels)] if levels else "Further skills"
        return f"{kind}: {_names([c.name for c in phase.concepts])}"

    def rationale(self, phase: Phase, phases: Sequence[Phase]) -> str:
        earlier = {c.concept_id: p.number for p in phases if p.number < phase.number
                   for c in p.concepts}
        builds_on: list[str] = []
        for c in phase.concepts:
            try:
                needs = self._kb.concept(c.concept_id).prerequisites
            except NotFound:
                continue
            builds_on.extend(p for p in needs if p in earlier and p not in builds_on)
        urgent = min((c.priority for c in phase.concepts),
                     key=("critical", "high", "medium", "low").index)
        if builds_on:
            why = (f"Builds on {_names([self._kb.concept(p).name for p in builds_on])} from"
                   " earlier phases.")
        else:
            why = "Needs nothing that a later phase teaches, so it can start at once."
        return (f"{why} {_hours(phase.hours)} for {len(phase.concepts)} concept(s); most urgent"
                f" gap: {urgent}.")

    def plan_summary(self, phases: Sequence[Phase], total_hours: float) -> str:
        if not phases:
            return f"Nothing to study: there are no gaps. {OFFLINE_NOTE}"
        return (f"{len(phases)} phase(s), {_hours(total_hours)} in all, ordered so that each"
                f" concept comes after the concepts it builds on. {OFFLINE_NOTE}")

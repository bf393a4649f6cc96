"""The report writer on a language model (Anthropic with the user's own key): structured output
through ``LanguageModel``, one call for a gap analysis and one for a learning plan.

The model is shown the numbers and asked only for words. Whatever numbers it might write are
never read: the schemas below hold text and the ids that say where the text goes. A text the
model leaves out is taken from the offline writer, so a report is always complete.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Annotated

import msgspec

from application.language_model import LanguageModel, StructuredRequest
from application.report_writer import GapTexts, OfflineReportWriter, PhaseTexts, PlanTexts
from domain.errors import NotFound
from domain.gap_analysis import Gap
from domain.knowledge import KnowledgeBase
from domain.learning_plan import Phase

log = logging.getLogger("learnstream.assessment")

SYSTEM = (
    "You are a senior engineer writing a learner's skills report. You are given numbers that"
    " were computed for you (levels, gaps, priorities, hours, the order of study): never change"
    " or restate them differently, and never invent new ones. Write short, concrete, encouraging"
    " text in the second person: what to study and why, grounded in the concepts described."
)

Short = Annotated[str, msgspec.Meta(min_length=1, max_length=1500)]


class Recommendation(msgspec.Struct):
    skill_id: str
    recommendation: Short


class GapWriting(msgspec.Struct):
    summary: Short
    recommendations: list[Recommendation]


class PhaseWriting(msgspec.Struct):
    phase_number: int
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    rationale: Short


class PlanWriting(msgspec.Struct):
    summary: Short
    phases: list[PhaseWriting]


class ModelReportWriter:
    def __init__(self, model: LanguageModel, kb: KnowledgeBase) -> None:
        self._model = model
        self._kb = kb
        self._offline = OfflineReportWriter(kb)

    @property
    def name(self) -> str:
        return self._model.name

    def _about(self, skill_id: str) -> str:
        try:
            concept = self._kb.concept(skill_id)
        except NotFound:
            return "(not in our knowledge base)"
        points = "; ".join(p.text for p in concept.key_points)
        return f"{concept.description} Key points: {points}"

    async def gap_texts(self, gaps: Sequence[Gap], readiness: int | None) -> GapTexts:
        fallback = self._offline.gap_texts_now(gaps, readiness)
        lines = "\n".join(
            f"- {g.skill_id} ({g.skill_name}): current {g.current}/100, target {g.target}/100,"
            f" gap {g.gap}, priority {g.priority.value}. {self._about(g.skill_id)}"
            for g in gaps
        ) or "(no gaps: every skill meets its target)"
        ready = "unknown" if readiness is None else f"{readiness}/100"
        written = await self._model.structured(StructuredRequest(
            system=SYSTEM,
            prompt=(f"Overall readiness: {ready}.\nGaps, worst first:\n{lines}\n\nWrite a"
                    " two-sentence summary of the learner's position, and one recommendation"
                    " (two or three sentences) per gap, keyed by its skill_id."),
            output=GapWriting, tool_name="write_gap_analysis",
            tool_description="The summary and one recommendation per gap.", max_tokens=2500,
        ))
        wanted = {g.skill_id for g in gaps}
        given = {r.skill_id: r.recommendation.strip() for r in written.recommendations
                 if r.skill_id in wanted and r.recommendation.strip()}
        if len(given) < len(wanted):
            log.warning("model left %d recommendation(s) out", len(wanted) - len(given))
        return GapTexts(written.summary.strip() or fallback.summary,
                        {g.skill_id: given.get(g.skill_id) or fallback.recommendations[g.skill_id]
                         for g in gaps})

    async def plan_texts(self, phases: Sequence[Phase], total_hours: float) -> PlanTexts:
        fallback = self._offline.plan_texts_now(phases, total_hours)
        lines = "\n".join(
            f"Phase {p.number} ({p.hours:g} h): "
            + "; ".join(f"{c.concept_id} ({c.name}, {c.hours:g} h, {c.priority})"
                        for c in p.concepts)
            for p in phases
        ) or "(no phases: nothing to study)"
        written = await self._model.structured(StructuredRequest(
            system=SYSTEM,
            prompt=(f"A learning plan of {total_hours:g} hours, in this fixed order (each phase"
                    f" builds on the earlier ones):\n{lines}\n\nWrite a one- or two-sentence"
                    " summary of the plan, and for each phase (by phase_number) a short title"
                    " and a rationale: why these concepts, why now."),
            output=PlanWriting, tool_name="write_learning_plan",
            tool_description="The plan's summary, and a title and rationale per phase.",
            max_tokens=2500,
        ))
        by_number = {w.phase_number: w for w in written.phases}
        texts = []
        for p, offline in zip(phases, fallback.phases, strict=True):
            w = by_number.get(p.number)
            texts.append(PhaseTexts(w.title.strip(), w.rationale.strip()) if w else offline)
        return PlanTexts(written.summary.strip() or fallback.summary, texts)

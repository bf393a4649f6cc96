"""Gap analysis and learning plans: ``POST /api/gap-analysis``, ``POST /api/learning-plan``, and
the same two steps inside a session's report.

Numbers first (``domain.gap_analysis``, ``domain.learning_plan``), then the words from the
user's writer: the offline one, or the language model with the user's own key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from uuid import UUID

from application.report_schemas import (
    GapAnalysisOut,
    GapAnalysisRequest,
    GapIn,
    GapOut,
    LearningPlanOut,
    LearningPlanRequest,
    PhaseOut,
    ResourceOut,
)
from application.report_writer import ReportWriter
from domain.gap_analysis import (
    Gap,
    Proficiency,
    display_name,
    gaps,
    level,
    overall_readiness,
    priority,
)
from domain.knowledge import KnowledgeBase
from domain.learning_plan import plan, total_hours

#: the writer for a user (raises the seed's 400 when a key is needed and missing)
WriterFor = Callable[[UUID], ReportWriter]


async def write_gap_analysis(
    kb: KnowledgeBase, writer: ReportWriter, scores: Sequence[Proficiency], readiness: int | None,
) -> tuple[GapAnalysisOut, list[Gap]]:
    found = gaps(kb, scores)
    texts = await writer.gap_texts(found, readiness)
    return GapAnalysisOut(readiness, texts.summary, [
        GapOut(g.skill_id, g.skill_name, g.current, g.target, g.gap, g.priority.value,
               texts.recommendations[g.skill_id])
        for g in found
    ]), found


async def write_learning_plan(
    kb: KnowledgeBase, writer: ReportWriter, found: Sequence[Gap]
) -> LearningPlanOut:
    phases = plan(kb, found)
    total = total_hours(phases)
    texts = await writer.plan_texts(phases, total)
    return LearningPlanOut(texts.summary, total, [
        PhaseOut(
            p.number, t.title, [c.concept_id for c in p.concepts], t.rationale,
            [ResourceOut(r.type, r.title, r.url) for c in p.concepts for r in c.resources],
            p.hours,
        )
        for p, t in zip(phases, texts.phases, strict=True)
    ])


def gap_of(kb: KnowledgeBase, given: GapIn) -> Gap | None:
    """A gap as a client sends it back (from an earlier analysis); its priority is ours again.
    None when it is no gap at all."""
    current, target = level(given.current_level), level(given.target_level)
    size = level(given.gap) if given.gap is not None else max(0, target - current)
    if size <= 0:
        return None
    if target == 0:
        target = min(100, current + size)
    return Gap(given.skill_id, display_name(kb, given.skill_id, given.skill_name), current,
               target, size, priority(size))


class GapAnalyses:
    def __init__(self, kb: KnowledgeBase, writer_for: WriterFor) -> None:
        self._kb = kb
        self._writer_for = writer_for

    async def analyse(self, user_id: UUID, request: GapAnalysisRequest) -> GapAnalysisOut:
        writer = self._writer_for(user_id)
        scores = [Proficiency(s.skill_id.strip(), s.skill_name, level(s.score))
                  for s in request.proficiency_scores]
        analysis, _ = await write_gap_analysis(
            self._kb, writer, scores, overall_readiness(self._kb, scores)
        )
        return analysis

    async def learning_plan(self, user_id: UUID, request: LearningPlanRequest) -> LearningPlanOut:
        writer = self._writer_for(user_id)
        found: list[Gap] = []
        seen: set[str] = set()
        for given in request.gap_analysis.gaps:
            g = gap_of(self._kb, given)
            if g is not None and g.skill_id not in seen:
                seen.add(g.skill_id)
                found.append(g)
        return await write_learning_plan(self._kb, writer, found)

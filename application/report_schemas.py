"""Request and response shapes of reports, gap analysis, learning plans and materials (seed 002).

Field names and order are the seed's: a report is served as recorded, so its bytes depend on
these Structs.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from application.assessment_schemas import KnowledgeGraphOut, ProficiencyScoreOut

SkillId = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Name = Annotated[str, msgspec.Meta(max_length=200)]
Level = Annotated[float, msgspec.Meta(ge=0, le=100)]
Text = Annotated[str, msgspec.Meta(max_length=5000)]
#: at most this many scores or gaps in one request
MAX_ITEMS = 200


class ProficiencyScoreIn(msgspec.Struct, rename="camel", kw_only=True):
    skill_id: SkillId
    skill_name: Name = ""
    score: Level
    confidence: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.0
    reasoning: Text = ""


class GapAnalysisRequest(msgspec.Struct, rename="camel", kw_only=True):
    proficiency_scores: Annotated[list[ProficiencyScoreIn], msgspec.Meta(max_length=MAX_ITEMS)]


class GapOut(msgspec.Struct, rename="camel"):
    skill_id: str
    skill_name: str
    current_level: int
    target_level: int
    gap: int
    priority: str
    recommendation: str


class GapAnalysisOut(msgspec.Struct, rename="camel"):
    overall_readiness: int | None
    summary: str
    gaps: list[GapOut]


class GapIn(msgspec.Struct, rename="camel", kw_only=True):
    skill_id: SkillId
    skill_name: Name = ""
    current_level: Level = 0
    target_level: Level = 0
    #: the gap as the analysis gave it; when absent, target minus current
    gap: Level | None = None
    priority: Annotated[str, msgspec.Meta(max_length=20)] = ""
    recommendation: Text = ""


class GapAnalysisIn(msgspec.Struct, rename="camel", kw_only=True):
    overall_readiness: Level | None = None
    summary: Text = ""
    gaps: Annotated[list[GapIn], msgspec.Meta(max_length=MAX_ITEMS)]


class LearningPlanRequest(msgspec.Struct, rename="camel", kw_only=True):
    gap_analysis: GapAnalysisIn


class ResourceOut(msgspec.Struct):
    type: str
    title: str
    url: str | None


class PhaseOut(msgspec.Struct, rename="camel"):
    phase_number: int
    title: str
    concepts: list[str]
    rationale: str
    resources: list[ResourceOut]
    estimated_hours: float


class LearningPlanOut(msgspec.Struct, rename="camel"):
    summary: str
    total_hours: float
    phases: list[PhaseOut]


class AssessmentReport(msgspec.Struct, rename="camel"):
    knowledge_graph: KnowledgeGraphOut
    gap_analysis: GapAnalysisOut
    learning_plan: LearningPlanOut
    proficiency_scores: list[ProficiencyScoreOut]


# -- materials ------------------------------------------------------------------------------
class Section(msgspec.Struct, omit_defaults=True):
    """``explanation`` {type, title, body}; ``code_example`` adds ``codeBlock``; ``quiz`` adds
    ``answer`` (the seed's mixed casing)."""

    type: str
    title: str
    body: str
    codeBlock: str | None = None
    answer: str | None = None


class MaterialBody(msgspec.Struct):
    concept_id: str
    target_bloom: int
    sections: list[Section]


class MaterialOut(msgspec.Struct, rename="camel"):
    concept_id: str
    domain: str
    bloom_score: float
    quality_score: float
    iteration_count: int
    quality_flag: str | None
    material: dict[str, Any]
    generated_at: str


class MaterialsResponse(msgspec.Struct, rename="camel"):
    session_id: str
    materials: list[MaterialOut]

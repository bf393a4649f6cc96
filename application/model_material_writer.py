"""Learning material written and judged by a language model (Anthropic with the user's key),
through ``LanguageModel`` with schemas we validate.

The model writes the sections and judges a piece's Bloom alignment and quality; whether that
passes, how often it is rewritten and what is kept are the domain's rules
(``domain.study_materials``).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from application.language_model import LanguageModel, StructuredRequest
from application.material_writers import SECTION_TYPES, Verdict, as_data
from application.report_schemas import MaterialBody, Section
from domain.knowledge import BloomLevel, Concept

SYSTEM = (
    "You are a senior engineer writing short, accurate study material for one concept, at a"
    " given level of Bloom's taxonomy (remember, understand, apply, analyze, evaluate, create)."
    " Material has exactly three sections: an explanation, a code example (with a code block)"
    " and a quiz question (with its answer). When judging material, be strict and specific."
)

Body = Annotated[str, msgspec.Meta(min_length=1, max_length=8000)]


class WrittenSection(msgspec.Struct):
    type: str
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    body: Body
    code_block: str | None = None
    answer: str | None = None


class WrittenMaterial(msgspec.Struct):
    sections: list[WrittenSection]


class MaterialJudgement(msgspec.Struct):
    bloom_alignment: Annotated[float, msgspec.Meta(ge=0, le=1)]
    quality: Annotated[float, msgspec.Meta(ge=0, le=1)]
    feedback: str


def _brief(concept: Concept, target: BloomLevel) -> str:
    points = "\n".join(f"- {p.text}" for p in concept.key_points)
    return (f"Concept: {concept.name} ({concept.level.label} level)\n{concept.description}\n"
            f"Key points:\n{points}\nTarget Bloom level: {target.label} ({int(target)} of 6)")


class ModelMaterialWriter:
    def __init__(self, model: LanguageModel) -> None:
        self._model = model

    @property
    def name(self) -> str:
        return self._model.name

    async def write(
        self, concept: Concept, target: BloomLevel, attempt: int, feedback: str
    ) -> dict[str, Any]:
        again = f"\n\nA reviewer found the previous attempt lacking:\n{feedback}" if feedback else ""
        written = await self._model.structured(StructuredRequest(
            system=SYSTEM,
            prompt=(f"{_brief(concept, target)}\n\nWrite the material: sections of type"
                    " explanation, code_example (with code_block) and quiz (a question at the"
                    f" target level, with its answer).{again}"),
            output=WrittenMaterial, tool_name="write_material",
            tool_description="Study material for one concept in three sections.",
            max_tokens=3000,
        ))
        by_type = {s.type.strip().lower(): s for s in written.sections}
        sections = [
            Section(kind, s.title.strip(), s.body.strip(),
                    codeBlock=(s.code_block or "").strip() or None if kind == "code_example" else None,
                    answer=(s.answer or "").strip() or None if kind == "quiz" else None)
            for kind in SECTION_TYPES if (s := by_type.get(kind)) is not None
        ]
        return as_data(MaterialBody(concept.id, int(target), sections))


class ModelMaterialValidator:
    def __init__(self, model: LanguageModel) -> None:
        self._model = model

    @property
    def name(self) -> str:
        return self._model.name

    async def validate(self, concept: Concept, target: BloomLevel, material: dict[str, Any]) -> Verdict:
        shown = msgspec.json.encode(material).decode()
        judged = await self._model.structured(StructuredRequest(
            system=SYSTEM,
            prompt=(f"{_brief(concept, target)}\n\nJudge this material, between the markers:"
                    f"\n<<<MATERIAL\n{shown}\nMATERIAL>>>\n\nbloom_alignment (0-1): how well"
                    " its quiz and example work at the target level; quality (0-1): accuracy,"
                    " clarity and coverage of the key points; feedback: what to fix."),
            output=MaterialJudgement, tool_name="judge_material",
            tool_description="Bloom alignment and quality of one piece of study material.",
            max_tokens=800,
        ))
        return Verdict(round(judged.bloom_alignment, 4), round(judged.quality, 4),
                       judged.feedback.strip())

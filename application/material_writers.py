"""Learning material: the writer and validator ports, and their offline adapters.

A material is ``{concept_id, target_bloom, sections}`` with an ``explanation``, a
``code_example`` and a ``quiz`` section, as the seed shows it. The pipeline
(``application.materials``) asks a writer for a piece, a validator for its Bloom alignment and
quality (0..1 each), and the domain decides what passes (``domain.study_materials``).

The offline adapters are deterministic and say what they are: the writer assembles the
knowledge base's own description, key points, questions and rubric; the validator measures
how many key points the text covers and how close the quiz's Bloom level is to the target.
They judge wording, not teaching, and their names say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

import msgspec

from application.offline_evaluator import key_point_scores
from application.report_schemas import MaterialBody, Section
from domain.assessment_policy import opening_question
from domain.knowledge import BloomLevel, Concept

OFFLINE_WRITER = "offline:kb-material-v1"
OFFLINE_VALIDATOR = "offline:kb-checks-v1"
#: what the learner reads at the end of an offline piece's explanation
OFFLINE_NOTE = ("Assembled offline from the knowledge base, without a language model; its checks"
                " measure key-point coverage and the quiz's level, not teaching quality.")
SECTION_TYPES = ("explanation", "code_example", "quiz")

#: words that show the level a question asks for, lowest level first
_BLOOM_VERBS: dict[BloomLevel, tuple[str, ...]] = {
    BloomLevel.REMEMBER: ("define", "list", "name", "what is", "recall"),
    BloomLevel.UNDERSTAND: ("explain", "describe", "summarise", "summarize", "why does"),
    BloomLevel.APPLY: ("implement", "use", "write", "apply", "how would you", "fix"),
    BloomLevel.ANALYZE: ("compare", "analyse", "analyze", "what can go wrong", "diagnose",
                         "trade-off", "what problems"),
    BloomLevel.EVALUATE: ("judge", "justify", "evaluate", "which would you choose", "assess"),
    BloomLevel.CREATE: ("design", "propose", "create", "architect"),
}


@dataclass(frozen=True, slots=True)
class Verdict:
    bloom_score: float
    quality_score: float
    #: what to improve, handed to the writer's next attempt
    feedback: str = ""


class MaterialWriter(Protocol):
    @property
    def name(self) -> str: ...

    async def write(
        self, concept: Concept, target: BloomLevel, attempt: int, feedback: str
    ) -> dict[str, Any]:
        """The material as plain data (``MaterialBody``'s shape); ``attempt`` counts from 1 and
        ``feedback`` is the validator's note on the previous attempt."""
        ...


class MaterialValidator(Protocol):
    @property
    def name(self) -> str: ...

    async def validate(self, concept: Concept, target: BloomLevel, material: dict[str, Any]) -> Verdict: ...


def as_data(body: MaterialBody) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.to_builtins(body)
    return data


class OfflineMaterialWriter:
    @property
    def name(self) -> str:
        return OFFLINE_WRITER

    async def write(
        self, concept: Concept, target: BloomLevel, attempt: int, feedback: str
    ) -> dict[str, Any]:
        return as_data(offline_material(concept, target))


def offline_material(concept: Concept, target: BloomLevel) -> MaterialBody:
    points = "\n".join(f"- {p.text}" for p in concept.key_points)
    explanation = Section(
        "explanation", f"What {concept.name} is about",
        f"{concept.description}\n\nThe key points:\n{points}\n\n{OFFLINE_NOTE}",
    )
    with_code = next((q for q in concept.questions if "\n" in q.text.strip()), None)
    if with_code is not None:
        prompt, _, code = with_code.text.strip().partition("\n")
        example = Section("code_example", "Worked example", f"Study this and answer: {prompt}",
                          codeBlock=code.strip("\n"))
    else:
        checklist = "\n".join(f"# {i}. {p.text}" for i, p in enumerate(concept.key_points, 1))
        example = Section(
            "code_example", f"Checklist for {concept.name}",
            "The knowledge base has no code for this concept; this checklist of its key points"
            " is the example to work through in your own code.",
            codeBlock=f"# {concept.name}: checklist\n{checklist}",
        )
    question = concept.questions[opening_question(concept)]
    quiz = Section(
        "quiz", "Check your understanding", question.text,
        answer=f"{concept.rubric.strong} Key points: "
        + "; ".join(p.text.rstrip(".") for p in concept.key_points) + ".",
    )
    return MaterialBody(concept.id, int(target), [explanation, example, quiz])


def question_bloom(text: str) -> BloomLevel | None:
    """The highest level whose words the question uses, None when it uses none."""
    lowered = " ".join(text.lower().split())
    found = [level for level, words in _BLOOM_VERBS.items()
             if any(re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", lowered) for w in words)]
    return max(found) if found else None


class OfflineMaterialValidator:
    @property
    def name(self) -> str:
        return OFFLINE_VALIDATOR

    async def validate(self, concept: Concept, target: BloomLevel, material: dict[str, Any]) -> Verdict:
        return offline_verdict(concept, target, material)


def offline_verdict(concept: Concept, target: BloomLevel, material: dict[str, Any]) -> Verdict:
    sections = [s for s in material.get("sections") or [] if isinstance(s, dict)]
    by_type = {s.get("type"): s for s in sections}
    complete = [
        bool(str(by_type.get(kind, {}).get("body") or "").strip()) for kind in SECTION_TYPES
    ]
    complete.append(bool(str(by_type.get("code_example", {}).get("codeBlock") or "").strip()))
    complete.append(bool(str(by_type.get("quiz", {}).get("answer") or "").strip()))
    text = "\n".join(f"{s.get('title', '')}\n{s.get('body', '')}\n{s.get('codeBlock') or ''}"
                     f"\n{s.get('answer') or ''}" for s in sections)
    coverage = key_point_scores(concept, text)
    covered = sum(coverage) / len(coverage) if coverage else 0.0
    quality = round(0.4 * sum(complete) / len(complete) + 0.6 * covered, 4)
    quiz = str(by_type.get("quiz", {}).get("body") or "")
    asked = next((q.bloom for q in concept.questions if q.text.strip() == quiz.strip()), None)
    asked = asked or question_bloom(quiz)
    bloom = 0.0 if asked is None else max(0.0, 1.0 - 0.25 * abs(int(asked) - int(target)))
    missing = [p.text for p, s in zip(concept.key_points, coverage, strict=True) if s < 0.5]
    notes = []
    if missing:
        notes.append("Cover these key points: " + "; ".join(missing))
    if bloom < 1.0:
        notes.append(f"Make the quiz ask at the '{target.label}' level.")
    if not all(complete):
        notes.append("Give every section a body, the code example a codeBlock and the quiz an answer.")
    return Verdict(round(bloom, 4), quality, " ".join(notes))

"""What the model writes for each step of a course generation, as msgspec Structs.

Each Struct is a tool's input schema (``infrastructure.ai.tool_schema``) and what its answer is
decoded and validated into; the constraints below are part of that schema. A model writes text
only: counts, order and progress are decided by our code (``check_*`` below refuse an answer
that does not fit the plan, which the pipeline treats as an unreadable answer).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from application.language_model import ModelBadOutput

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=20_000)]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Short = Annotated[str, msgspec.Meta(min_length=1, max_length=1_000)]


class ChapterPlan(msgspec.Struct, kw_only=True):
    title: Title
    summary: Short


class OutlineDraft(msgspec.Struct, kw_only=True):
    name: Title
    headline: Short
    description: Text
    learnings: Annotated[list[Short], msgspec.Meta(min_length=1, max_length=8)]
    chapters: Annotated[list[ChapterPlan], msgspec.Meta(min_length=1, max_length=9)]


class LessonDraft(msgspec.Struct, kw_only=True):
    title: Title
    markdown: Text


class ChapterDraft(msgspec.Struct, kw_only=True):
    lessons: Annotated[list[LessonDraft], msgspec.Meta(min_length=1, max_length=6)]


class ExerciseDraft(msgspec.Struct, kw_only=True):
    title: Title
    instructions: Text
    solution: Text


class ExercisesDraft(msgspec.Struct, kw_only=True):
    """One exercise per chapter, in chapter order."""

    exercises: Annotated[list[ExerciseDraft], msgspec.Meta(min_length=1, max_length=9)]


class QuizQuestion(msgspec.Struct, kw_only=True):
    question: Short
    options: Annotated[list[Short], msgspec.Meta(min_length=2, max_length=6)]
    answer_index: Annotated[int, msgspec.Meta(ge=0, le=5)]
    explanation: Short


class ChapterQuiz(msgspec.Struct, kw_only=True):
    questions: Annotated[list[QuizQuestion], msgspec.Meta(min_length=1, max_length=10)]


class AssessmentDraft(msgspec.Struct, kw_only=True):
    """One quiz per chapter, in chapter order."""

    quizzes: Annotated[list[ChapterQuiz], msgspec.Meta(min_length=1, max_length=9)]


class WrapupDraft(msgspec.Struct, kw_only=True):
    title: Title
    summary: Text
    takeaways: Annotated[list[Short], msgspec.Meta(min_length=1, max_length=10)]


class ArticleRef(msgspec.Struct, kw_only=True):
    title: Title
    summary: Short
    search_query: Title


class ArticlesDraft(msgspec.Struct, kw_only=True):
    articles: Annotated[list[ArticleRef], msgspec.Meta(min_length=1, max_length=10)]


class VideoDraft(msgspec.Struct, kw_only=True):
    title: Title
    script: Text
    search_terms: Annotated[list[Title], msgspec.Meta(min_length=1, max_length=8)]


class AgreementDraft(msgspec.Struct, kw_only=True):
    title: Title
    statement: Text


#: each add-on's answer type
ADD_ON_DRAFTS: dict[str, type[Any]] = {
    "practical-exercises": ExercisesDraft,
    "wrapup": WrapupDraft,
    "assessment": AssessmentDraft,
    "articles": ArticlesDraft,
    "videos": VideoDraft,
    "agreement": AgreementDraft,
}


def check_outline(draft: OutlineDraft, titles: list[str]) -> OutlineDraft:
    """The requester's titles are the chapters (the model only summarises them)."""
    if titles:
        if len(draft.chapters) != len(titles):
            raise ModelBadOutput(f"outline: {len(draft.chapters)} chapters for {len(titles)} titles")
        draft.chapters = [
            ChapterPlan(title=title, summary=plan.summary)
            for title, plan in zip(titles, draft.chapters, strict=True)
        ]
    return draft


def check_add_on(name: str, draft: Any, chapters: int) -> Any:
    """Per-chapter add-ons must cover every chapter; quiz answers must name an option."""
    if isinstance(draft, ExercisesDraft) and len(draft.exercises) != chapters:
        raise ModelBadOutput(f"{name}: {len(draft.exercises)} exercises for {chapters} chapters")
    if isinstance(draft, AssessmentDraft):
        if len(draft.quizzes) != chapters:
            raise ModelBadOutput(f"{name}: {len(draft.quizzes)} quizzes for {chapters} chapters")
        for quiz in draft.quizzes:
            for question in quiz.questions:
                if question.answer_index >= len(question.options):
                    raise ModelBadOutput(f"{name}: an answer names no option")
    return draft


def as_result(draft: Any) -> dict[str, Any]:
    """A draft as the plain dict a ``GenerationProgressed`` event carries."""
    return msgspec.to_builtins(draft)  # type: ignore[no-any-return]


def from_result(result: dict[str, Any], output: type[Any]) -> Any:
    return msgspec.convert(result, output)

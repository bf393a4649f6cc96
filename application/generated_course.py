"""From a generation's drafts to a real course: its chapters and activities, as aggregates.

The layout is decided here, not by the model: ``classic`` is a chapter per planned title with
its lessons (plus an exercise and a quiz activity per chapter when asked); ``onepage`` is one
chapter whose first activity holds the whole course. Course-level add-ons (a reading list, a
video, the acknowledgement) close the course, in the wrap-up chapter when there is one. The
aggregates are built with the same constructors and checks as hand-made ones
(``application.content.new_activity``), so the catalog, content and search read models, the
``meta`` route and webhooks see an ordinary course.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus
from uuid import UUID

from eventsourcing.domain import Aggregate

from application.content import ActivityDraft, ChapterImport, new_activity
from application.generation_drafts import (
    AgreementDraft,
    ArticlesDraft,
    AssessmentDraft,
    ChapterDraft,
    ExercisesDraft,
    OutlineDraft,
    VideoDraft,
    WrapupDraft,
)
from domain.chapters import Chapter
from domain.courses import Course

TAGS = "ai-generated"


@dataclass
class CoursePlan:
    name: str
    headline: str
    description: str
    learnings: list[str]
    chapters: list[ChapterImport]


def _activity(name: str, kind: str, generator: str, content: dict[str, Any], **types: str) -> ActivityDraft:
    return ActivityDraft(
        name=name[:200],
        activity_type=types.get("activity_type", "TYPE_DYNAMIC"),
        activity_sub_type=types.get("activity_sub_type", "SUBTYPE_DYNAMIC_MARKDOWN"),
        content=content,
        details={"generated_by": generator, "generated_kind": kind},
    )


def _markdown(name: str, kind: str, generator: str, text: str) -> ActivityDraft:
    return _activity(name, kind, generator, {"markdown": text})


def _exercise(title: str, draft: Any, generator: str) -> ActivityDraft:
    text = f"## Instructions\n\n{draft.instructions}\n\n## Model solution\n\n{draft.solution}"
    return _markdown(title, "exercise", generator, text)


def _quiz(title: str, questions: list[Any], generator: str) -> ActivityDraft:
    listed = [
        {
            "question": q.question, "options": list(q.options),
            "answer_index": q.answer_index, "explanation": q.explanation,
        }
        for q in questions
    ]
    text = "\n\n".join(
        f"**{n}. {q.question}**\n\n" + "\n".join(f"- {o}" for o in q.options)
        for n, q in enumerate(questions, 1)
    )
    return _activity(
        title, "quiz", generator, {"kind": "quiz", "questions": listed, "markdown": text},
        activity_type="TYPE_CUSTOM", activity_sub_type="SUBTYPE_CUSTOM",
    )


def _closing(add_ons: dict[str, Any], generator: str) -> list[ActivityDraft]:
    out = []
    articles: ArticlesDraft | None = add_ons.get("articles")
    if articles is not None:
        text = "\n\n".join(
            f"### {a.title}\n\n{a.summary}\n\nSearch: “{a.search_query}”" for a in articles.articles
        )
        out.append(_markdown("Further reading", "reading-list", generator, text))
    video: VideoDraft | None = add_ons.get("videos")
    if video is not None:
        uri = "https://www.youtube.com/results?search_query=" + quote_plus(video.search_terms[0])
        out.append(_activity(
            video.title, "video", generator,
            {"uri": uri, "script": video.script, "search_terms": list(video.search_terms),
             "markdown": video.script},
            activity_type="TYPE_VIDEO", activity_sub_type="SUBTYPE_VIDEO_YOUTUBE",
        ))
    agreement: AgreementDraft | None = add_ons.get("agreement")
    if agreement is not None:
        out.append(_activity(
            agreement.title, "agreement", generator,
            {"kind": "agreement", "statement": agreement.statement, "markdown": agreement.statement,
             "requires_acknowledgement": True},
            activity_type="TYPE_CUSTOM", activity_sub_type="SUBTYPE_CUSTOM",
        ))
    return out


def plan_course(
    course_format: str, outline: OutlineDraft, chapters: list[ChapterDraft],
    add_ons: dict[str, Any], generator: str,
) -> CoursePlan:
    exercises: ExercisesDraft | None = add_ons.get("practical-exercises")
    assessment: AssessmentDraft | None = add_ons.get("assessment")
    wrapup: WrapupDraft | None = add_ons.get("wrapup")
    plans = outline.chapters
    if course_format == "onepage":
        sections = []
        for plan, draft in zip(plans, chapters, strict=True):
            lessons = "\n\n".join(f"### {lesson.title}\n\n{lesson.markdown}" for lesson in draft.lessons)
            sections.append(f"## {plan.title}\n\n{plan.summary}\n\n{lessons}")
        if wrapup is not None:
            takeaways = "\n".join(f"- {t}" for t in wrapup.takeaways)
            sections.append(f"## {wrapup.title}\n\n{wrapup.summary}\n\n{takeaways}")
        activities = [_markdown(outline.name, "page", generator, "\n\n".join(sections))]
        if exercises is not None:
            text = "\n\n".join(
                f"## {e.title}\n\n{e.instructions}\n\n**Model solution.** {e.solution}"
                for e in exercises.exercises
            )
            activities.append(_markdown("Practical exercises", "exercise", generator, text))
        if assessment is not None:
            questions = [q for quiz in assessment.quizzes for q in quiz.questions]
            activities.append(_quiz("Assessment", questions, generator))
        activities += _closing(add_ons, generator)
        only = ChapterImport(name=outline.name, description=outline.headline, activities=activities)
        return CoursePlan(outline.name, outline.headline, outline.description, outline.learnings, [only])

    imports = []
    for index, (plan, draft) in enumerate(zip(plans, chapters, strict=True)):
        acts = [_markdown(lesson.title, "lesson", generator, lesson.markdown) for lesson in draft.lessons]
        if exercises is not None:
            acts.append(_exercise(exercises.exercises[index].title, exercises.exercises[index], generator))
        if assessment is not None:
            acts.append(_quiz(f"Quiz: {plan.title}", assessment.quizzes[index].questions, generator))
        imports.append(ChapterImport(name=plan.title, description=plan.summary, activities=acts))
    closing = _closing(add_ons, generator)
    if wrapup is not None:
        takeaways = "\n".join(f"- {t}" for t in wrapup.takeaways)
        summary = _markdown(wrapup.title, "summary", generator, f"{wrapup.summary}\n\n{takeaways}")
        imports.append(ChapterImport(
            name="Wrap-up", description=wrapup.summary[:1000], activities=[summary, *closing],
        ))
    else:
        imports[-1].activities.extend(closing)
    return CoursePlan(outline.name, outline.headline, outline.description, outline.learnings, imports)


def course_tree(plan: CoursePlan, org_id: UUID, author_id: UUID) -> tuple[Course, list[Aggregate]]:
    """The course, then each chapter followed by its activities: appended in this order, the
    read models place chapters and activities by creation, so no ordering event is needed."""
    course = Course(
        org_id=org_id, author_id=author_id, name=plan.name.strip()[:200],
        description=plan.headline, about=plan.description,
        learnings="\n".join(plan.learnings), tags=TAGS, public=False, published=True,
        thumbnail_image="",
    )
    row = {"org_uuid": str(org_id), "course_uuid": str(course.id)}
    tree: list[Aggregate] = [course]
    for item in plan.chapters:
        chapter = Chapter(
            org_id=org_id, course_id=course.id, name=item.name.strip()[:200],
            description=item.description, thumbnail_image="",
        )
        tree.append(chapter)
        tree.extend(new_activity(row, chapter.id, draft) for draft in item.activities)
    return course, tree

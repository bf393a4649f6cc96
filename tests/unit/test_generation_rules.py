"""The generation job's rules, the plans and the offline writer, without a store."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import msgspec
import pytest

from application.generation_drafts import (
    AssessmentDraft,
    ChapterQuiz,
    ExerciseDraft,
    ExercisesDraft,
    QuizQuestion,
    check_add_on,
    check_outline,
)
from application.generation_prompts import (
    SYSTEM_PROMPT,
    add_on_request,
    chapter_request,
    outline_request,
)
from application.language_model import ModelBadOutput
from application.offline_course_writer import OfflineCourseWriter
from domain.errors import Forbidden
from domain.generation_credits import Plan, parse_plans, require_credit
from domain.generation_jobs import (
    ADD_ONS,
    ATTEMPTS_EXHAUSTED,
    COMPLETED,
    FAILED,
    PENDING,
    RUNNING,
    GenerationJob,
    JobFinished,
    progress_of,
)


def _job(add_ons=("assessment",)) -> GenerationJob:
    return GenerationJob(
        org_id=uuid4(), author_id=uuid4(), requested_by="user_x", subject="Safety",
        format="classic", language_id="en-US", outline=["A", "B"], add_ons=list(add_ons),
        callback_url="", credit_id=uuid4(),
    )


def test_progress_comes_from_finished_steps_in_any_order():
    outline = {"outline": {"chapters": [{}, {}, {}, {}]}}
    assert progress_of({}, 2) == 0
    assert progress_of(outline, 2) == 10
    assert progress_of({**outline, "chapter:3": {}, "chapter:0": {}}, 2) == 40
    every = {**outline, **{f"chapter:{i}": {} for i in range(4)}}
    assert progress_of(every, 2) == 70
    assert progress_of({**every, "addon:wrapup": {}}, 2) == 80
    assert progress_of({**every, "addon:wrapup": {}, "addon:videos": {}, "assemble": {}}, 2) == 95


def test_a_step_is_recorded_once_and_only_while_running():
    job = _job()
    with pytest.raises(Exception, match="not running"):
        job.record_step("outline", {"chapters": [{}, {}]})
    assert job.start("w1", "offline:deterministic-v1", 3)
    assert job.record_step("outline", {"chapters": [{}, {}]})
    assert not job.record_step("outline", {"chapters": []})  # the log already has it
    assert job.progress == 10 and job.status == RUNNING


def test_attempts_run_out_and_the_job_fails():
    job = _job()
    for _ in range(2):
        assert job.start("w", "g", 3)
        job.attempt_failed("MODEL_TIMED_OUT", "timed out", 3)
        assert job.status == PENDING
    assert job.start("w", "g", 3)
    assert job.status == RUNNING and job.attempts == 3
    job.attempt_failed("MODEL_TIMED_OUT", "timed out", 3)  # the last attempt's failure ends it
    assert job.status == FAILED and job.error_code == "MODEL_TIMED_OUT"

    dead = _job()
    for _ in range(3):
        dead.start("w", "g", 3)  # three workers died without a word
    assert not dead.start("w", "g", 3)
    assert dead.status == FAILED and dead.error_code == ATTEMPTS_EXHAUSTED


def test_a_finished_job_cannot_be_cancelled():
    job = _job()
    job.cancel("user_x")
    assert job.status == FAILED and job.cancelled
    with pytest.raises(JobFinished):
        job.cancel("user_x")
    done = _job()
    done.start("w", "g", 3)
    done.complete(uuid4(), "Course", "Headline", "/course/x")
    assert done.status == COMPLETED and done.progress == 100
    with pytest.raises(JobFinished):
        done.cancel("user_x")
    assert _job().status == PENDING


def test_plans_come_from_settings_and_refuse_with_the_seed_codes():
    plans = parse_plans("free:0, pro:500")
    assert plans == {"free": Plan("free", 0), "pro": Plan("pro", 500)}
    with pytest.raises(ValueError, match="NAME:MONTHLY_CREDITS"):
        parse_plans("free,pro:5")
    with pytest.raises(Forbidden) as paid:
        require_credit(plans["free"], 0)
    assert paid.value.code == "PAID_PLAN_REQUIRED"
    with pytest.raises(Forbidden) as used_up:
        require_credit(plans["pro"], 500)
    assert used_up.value.code == "USAGE_LIMIT_EXCEEDED_PLAN"
    require_credit(plans["pro"], 499)


def test_the_model_writes_text_but_our_rules_decide_the_shape():
    brief = {"subject": "Safety", "format": "classic", "language_id": "en-US", "outline": ["A", "B"], "add_ons": []}
    outline = asyncio.run(OfflineCourseWriter().structured(outline_request({**brief, "outline": []})))
    forced = check_outline(msgspec.structs.replace(outline, chapters=outline.chapters[:2]), ["A", "B"])
    assert [c.title for c in forced.chapters] == ["A", "B"]
    with pytest.raises(ModelBadOutput):
        check_outline(outline, ["only one"])
    exercise = ExerciseDraft(title="t", instructions="i", solution="s")
    with pytest.raises(ModelBadOutput):
        check_add_on("practical-exercises", ExercisesDraft(exercises=[exercise]), 2)
    wrong = QuizQuestion(question="q", options=["a", "b"], answer_index=3, explanation="e")
    with pytest.raises(ModelBadOutput):
        check_add_on("assessment", AssessmentDraft(quizzes=[ChapterQuiz(questions=[wrong])]), 1)


def test_the_offline_writer_is_deterministic_and_honest():
    writer = OfflineCourseWriter()
    brief = {"subject": "Safety", "format": "onepage", "language_id": "pt-BR", "outline": ["A", "B"], "add_ons": []}
    outline = asyncio.run(writer.structured(outline_request(brief)))
    again = asyncio.run(writer.structured(outline_request(brief)))
    assert outline == again
    assert "without a language model" in outline.description
    plan = {"name": outline.name, "chapters": [{"title": c.title, "summary": c.summary} for c in outline.chapters]}
    chapter = asyncio.run(writer.structured(chapter_request(brief, plan, 1)))
    assert "chapter 2 of 2" in chapter.lessons[0].markdown
    quiz = asyncio.run(writer.structured(add_on_request(brief, plan, "assessment")))
    assert len(quiz.quizzes) == 2
    assert writer.name == "offline:deterministic-v1"


def test_every_step_shares_one_system_prompt_long_enough_to_be_cached():
    """Anthropic ignores ``cache_control`` on a prefix under 1,024 tokens (Sonnet and Opus):
    a short prompt would be paid in full on every call. English runs at most about 4.5
    characters a token, so this is a floor on the prompt's tokens."""
    brief = {"subject": "Safety", "format": "classic", "language_id": "en-US", "outline": ["A"], "add_ons": []}
    plan = {"name": "Safety", "chapters": [{"title": "A", "summary": "s"}]}
    requests = [outline_request(brief), chapter_request(brief, plan, 0)]
    requests += [add_on_request(brief, plan, name) for name in ADD_ONS]
    assert {r.system for r in requests} == {SYSTEM_PROMPT}
    assert len(SYSTEM_PROMPT) / 4.5 >= 1024

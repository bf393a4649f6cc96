"""Seed 001 over HTTP, on SQLite and PostgreSQL, with the offline generator: a LearningStudio
client's requests and the answers it expects, and the LMS course the job leaves behind."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from application.authorization import Principal
from tests.api.generation_support import (
    COURSE_FIELDS,
    SEED_EXAMPLE,
    assert_error,
    bearer,
    issue_token,
    submit,
    wait_for_job,
)


@pytest.fixture
def settings_env(settings_env):
    return {**settings_env, "LEARNSTREAM_GENERATION_POLL_SECONDS": "0.2"}


def test_seed_example_queues_a_job_and_the_poll_returns_a_real_course(api, client):
    token = bearer(issue_token(client, api.admin()))
    accepted = submit(client, token)
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert set(body) == {"jobId", "status", "pollUrl"}
    assert body["status"] == "pending"
    assert body["pollUrl"] == f"/api/v1/courses/jobs/{body['jobId']}"

    job = wait_for_job(client, body["pollUrl"], token)
    assert job["status"] == "completed" and job["progress"] == 100
    assert "error" not in job
    course = job["course"]
    assert set(course) == COURSE_FIELDS
    assert course["format"] == "classic" and course["languageId"] == "en-US"
    assert course["id"] == course["course_uuid"] and course["course_uuid"].startswith("course_")
    assert job["generator"] == "offline:deterministic-v1"

    # A real LMS course: readable, with the outline's titles as its chapters, listed, searchable.
    assert client.get(f"/api/v1/courses/{course['course_uuid']}", headers=token).json()["name"] == course["name"]
    meta = client.get(f"/api/v1/courses/{course['course_uuid']}/meta", headers=token)
    assert meta.status_code == 200, meta.text
    chapters = meta.json()["chapters"]
    assert [c["name"] for c in chapters] == SEED_EXAMPLE["outline"]
    for chapter in chapters:
        kinds = [a["details"]["generated_kind"] for a in chapter["activities"]]
        assert kinds[-1] == "quiz" and "lesson" in kinds
        quiz = chapter["activities"][-1]["content"]
        assert quiz["questions"] and all(
            0 <= q["answer_index"] < len(q["options"]) for q in quiz["questions"]
        )
        assert {a["details"]["generated_by"] for a in chapter["activities"]} == {"offline:deterministic-v1"}
    listed = client.get("/api/v1/courses/org_slug/default/page/1/limit/20", headers=token).json()
    assert course["course_uuid"] in [c["course_uuid"] for c in listed]
    found = client.get("/api/v1/courses/org_slug/default/search?query=hazards", headers=token).json()
    assert course["course_uuid"] in [c["course_uuid"] for c in found]


def test_a_callback_host_that_does_not_resolve_yet_is_accepted_and_the_job_still_completes(api, client):
    # The seed's own example names ``https://yourapp.com/...``: on a host without DNS it was
    # refused with 400. ``.invalid`` never resolves, here or anywhere, so nothing leaves.
    token = bearer(issue_token(client, api.admin()))
    body = {**SEED_EXAMPLE, "callbackUrl": "https://hooks.yourapp.invalid/learningstudio"}
    accepted = submit(client, token, body)
    assert accepted.status_code == 202, accepted.text
    assert wait_for_job(client, accepted.json()["pollUrl"], token)["status"] == "completed"


def test_onepage_is_one_chapter_whose_first_activity_holds_the_whole_course(api, client):
    admin = api.admin()
    body = {
        "subject": "Kitchen knife skills",
        "outline": ["Grip", "Dicing", "Sharpening"],
        "addOns": ["practical-exercises", "articles", "videos", "agreement", "wrapup"],
        "languageId": "pt-BR",
    }
    accepted = submit(client, admin, body)
    assert accepted.status_code == 202, accepted.text
    job = wait_for_job(client, accepted.json()["pollUrl"], admin)
    assert job["course"]["format"] == "onepage" and job["course"]["languageId"] == "pt-BR"
    chapters = client.get(f"/api/v1/courses/{job['course']['course_uuid']}/meta", headers=admin).json()["chapters"]
    assert len(chapters) == 1
    activities = chapters[0]["activities"]
    page = activities[0]["content"]["markdown"]
    assert all(f"## {title}" in page for title in body["outline"])
    assert "Wrap-up" in page  # the wrap-up is the page's closing section
    kinds = [a["details"]["generated_kind"] for a in activities]
    assert kinds == ["page", "exercise", "reading-list", "video", "agreement"]
    video = activities[3]
    assert video["activity_type"] == "TYPE_VIDEO"
    assert video["content"]["script"] and video["content"]["search_terms"]


def test_classic_without_outline_plans_its_chapters_and_closes_with_a_wrapup(api, client):
    admin = api.admin()
    accepted = submit(client, admin, {"subject": "Budgeting", "format": "classic", "addOns": ["wrapup", "practical-exercises"]})
    job = wait_for_job(client, accepted.json()["pollUrl"], admin)
    chapters = client.get(f"/api/v1/courses/{job['course']['course_uuid']}/meta", headers=admin).json()["chapters"]
    assert 3 <= len(chapters) - 1 <= 9
    assert chapters[-1]["name"] == "Wrap-up"
    for chapter in chapters[:-1]:
        assert [a["details"]["generated_kind"] for a in chapter["activities"]][-1] == "exercise"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"format": "classic"}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"subject": 42}, "subject"),
        ({"subject": "Safety", "format": "pdf"}, "format"),
        ({"subject": "Safety", "languageId": "xx-XX"}, "languageId"),
        ({"subject": "Safety", "outline": [f"t{i}" for i in range(10)]}, "outline"),
        ({"subject": "Safety", "outline": ["ok", ""]}, "outline"),
        ({"subject": "Safety", "outline": "Hazards"}, "outline"),
        ({"subject": "Safety", "addOns": ["quiz"]}, "addOns"),
        ({"subject": "Safety", "callbackUrl": "ftp://example.com/hook"}, "callbackUrl"),
        ({"subject": "Safety", "callbackUrl": "not a url"}, "callbackUrl"),
        ({"subject": "Safety", "callbackUrl": "http://example.com/hook"}, "callbackUrl"),
        ({"subject": "Safety", "callbackUrl": "https://127.0.0.1/hook"}, "callbackUrl"),
        ({"subject": "Safety", "callbackUrl": "https://10.0.0.8/hook"}, "callbackUrl"),
        ({"subject": "Safety", "format": 7}, "format"),
        ({"subject": "Safety", "languageId": 42}, "languageId"),
        ({"subject": "Safety", "outline": ["ok", 3]}, "outline"),
        ({"subject": "Safety", "outline": ["x" * 201]}, "outline"),
        ({"subject": "Safety", "addOns": "wrapup"}, "addOns"),
        ({"subject": "Safety", "callbackUrl": 5}, "callbackUrl"),
        (["subject"], "body"),
    ],
)
def test_every_rule_is_checked_and_names_its_field(api, client, body, field):
    admin = api.admin()
    refused = assert_error(submit(client, admin, body), 400, "VALIDATION_ERROR")
    assert refused["field"] == field
    assert field in refused["message"]
    assert client.get("/api/v1/courses/jobs", headers=admin).json()["total"] == 0


def test_every_limit_itself_is_allowed_and_each_add_on_has_its_place(api, client):
    """A classic course at the seed's limits: 200 characters of subject, 9 titles, every
    add-on. Each chapter closes with its exercise and its quiz; the wrap-up chapter holds the
    summary, the reading list, the video and, last of all, the agreement."""
    admin = api.admin()
    titles = [f"Part {i} " + "x" * 192 for i in range(9)]
    add_ons = ["practical-exercises", "wrapup", "assessment", "articles", "videos", "agreement"]
    body = {"subject": "  " + "s" * 200 + " ", "format": "classic", "languageId": "pt-BR", "outline": titles, "addOns": [*add_ons, "wrapup"]}
    accepted = submit(client, admin, body)
    assert accepted.status_code == 202, accepted.text
    job = wait_for_job(client, accepted.json()["pollUrl"], admin)
    assert job["status"] == "completed" and job["addOns"] == add_ons and job["subject"] == "s" * 200
    chapters = client.get(f"/api/v1/courses/{job['course']['course_uuid']}/meta", headers=admin).json()["chapters"]
    assert [c["name"] for c in chapters] == [*titles, "Wrap-up"]
    for chapter in chapters[:-1]:
        kinds = [a["details"]["generated_kind"] for a in chapter["activities"]]
        assert kinds[-2:] == ["exercise", "quiz"] and set(kinds[:-2]) == {"lesson"}
    closing = chapters[-1]["activities"]
    assert [a["details"]["generated_kind"] for a in closing] == ["summary", "reading-list", "video", "agreement"]
    assert closing[1]["content"]["markdown"].count("### ") >= 3  # the reading list's articles
    assert closing[2]["activity_type"] == "TYPE_VIDEO" and closing[2]["content"]["search_terms"]


def test_without_a_wrapup_the_closing_activities_end_the_last_chapter(api, client):
    admin = api.admin()
    body = {"subject": "Ladders", "format": "classic", "outline": ["Choosing", "Climbing"], "addOns": ["agreement", "articles", "videos"]}
    job = wait_for_job(client, submit(client, admin, body).json()["pollUrl"], admin)
    chapters = client.get(f"/api/v1/courses/{job['course']['course_uuid']}/meta", headers=admin).json()["chapters"]
    assert [c["name"] for c in chapters] == ["Choosing", "Climbing"]
    assert {a["details"]["generated_kind"] for a in chapters[0]["activities"]} == {"lesson"}
    kinds = [a["details"]["generated_kind"] for a in chapters[1]["activities"]]
    assert kinds[-3:] == ["reading-list", "video", "agreement"]


def test_malformed_json_is_a_validation_error(api, client):
    response = client.post(
        "/api/v1/courses", content=b'{"subject": ', headers={**api.admin(), "Content-Type": "application/json"}
    )
    assert assert_error(response, 400, "VALIDATION_ERROR")["field"] == "body"


def test_unknown_revoked_or_missing_keys_are_invalid_api_keys(api, client):
    assert_error(submit(client, {}), 401, "INVALID_API_KEY")
    admin = api.admin()  # (signing in sets cookies, which would count as a credential)
    assert_error(submit(client, bearer("lh_notarealtoken0000000000000000")), 401, "INVALID_API_KEY")
    created = client.post("/api/v1/orgs/1/api-tokens", json={"name": "soon revoked"}, headers=admin).json()
    assert client.delete(f"/api/v1/orgs/1/api-tokens/{created['token_uuid']}", headers=admin).status_code == 200
    assert_error(submit(client, bearer(created["token"])), 401, "INVALID_API_KEY")
    assert_error(client.get("/api/v1/courses/jobs", headers=bearer("lh_nope")), 401, "INVALID_API_KEY")
    soon = datetime.now(UTC) + timedelta(seconds=4)  # issued and used before then, on a loaded machine too
    expiring = issue_token(client, admin, name="expiring", expires_at=soon.isoformat())
    assert submit(client, bearer(expiring)).status_code == 202
    time.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.5)
    assert_error(submit(client, bearer(expiring)), 401, "INVALID_API_KEY")
    assert client.get("/api/v1/courses/jobs", headers=admin).json()["total"] == 1


def test_a_token_without_the_right_to_create_courses_is_refused(api, client):
    admin = api.admin()
    reader = issue_token(client, admin, rights={"courses": {"action_read": True}})
    body = assert_error(submit(client, bearer(reader)), 403, "TOKEN_RIGHT_MISSING")
    assert "create" in body["message"]


def test_another_orgs_job_is_not_found(api, client):
    admin = api.admin()
    accepted = submit(client, admin).json()
    acme = api.create_org(admin, "acme")
    other = bearer(issue_token(client, admin, org_id=acme["id"]))
    assert_error(client.get(accepted["pollUrl"], headers=other), 404, "NOT_FOUND")
    assert_error(client.delete(accepted["pollUrl"], headers=other), 404, "NOT_FOUND")
    assert_error(client.get(accepted["pollUrl"] + "/events", headers=other), 404, "NOT_FOUND")
    assert client.get("/api/v1/courses/jobs", headers=other).json()["jobs"] == []
    assert_error(client.get("/api/v1/courses/jobs/job_not-a-uuid", headers=admin), 404, "NOT_FOUND")


def test_list_filters_by_status(api, client):
    admin = api.admin()
    for subject in ("One", "Two"):
        wait_for_job(client, submit(client, admin, {"subject": subject}).json()["pollUrl"], admin)
    done = client.get("/api/v1/courses/jobs?status=completed", headers=admin).json()
    assert done["total"] == 2 and [j["subject"] for j in done["jobs"]] == ["Two", "One"]
    assert client.get("/api/v1/courses/jobs?status=pending", headers=admin).json()["total"] == 0
    assert_error(client.get("/api/v1/courses/jobs?status=done", headers=admin), 400, "VALIDATION_ERROR")


def test_idempotency_key_returns_the_same_job(api, client):
    admin = api.admin()
    first = submit(client, {**admin, "Idempotency-Key": "order-17"}).json()
    again = submit(client, {**admin, "Idempotency-Key": "order-17"}, {"subject": "Something else"})
    assert again.status_code == 202 and again.json()["jobId"] == first["jobId"]
    # Even once the job has ended, a retry gets the first answer again, not a second job.
    assert wait_for_job(client, first["pollUrl"], admin)["status"] == "completed"
    late = submit(client, {**admin, "Idempotency-Key": "order-17"})
    assert late.status_code == 202 and late.json() == first
    other = submit(client, {**admin, "Idempotency-Key": "order-18"}).json()
    assert other["jobId"] != first["jobId"]
    assert client.get("/api/v1/courses/jobs", headers=admin).json()["total"] == 2


def test_cancel_a_job_that_has_not_finished(api, client, container):
    admin = api.admin()
    container.stop_generation_worker()  # nothing runs it: it stays pending
    job = submit(client, admin).json()
    cancelled = client.delete(job["pollUrl"], headers=admin)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "failed"
    assert cancelled.json()["error"] == {"message": "The job was cancelled.", "code": "JOB_CANCELLED"}
    assert client.get(job["pollUrl"], headers=admin).json()["status"] == "failed"
    assert_error(client.delete(job["pollUrl"], headers=admin), 409, "JOB_FINISHED")
    account = client.get("/api/v1/admin/default/generation", headers=admin).json()
    assert account["credits_used"] == 0  # a cancelled job gives its credit back


def test_events_stream_ends_with_the_completed_job(api, client):
    admin = api.admin()
    job = submit(client, admin).json()
    wait_for_job(client, job["pollUrl"], admin)
    with client.stream("GET", job["pollUrl"] + "/events", headers=admin) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        text = "".join(stream.iter_text())
    assert "event: completed" in text and '"progress":100' in text


def test_multipart_still_creates_a_course_directly(api, client):
    admin = api.admin()
    created = api.create_course(admin, name="Hand made")
    assert created["name"] == "Hand made"
    assert client.get("/api/v1/courses/jobs", headers=admin).json()["total"] == 0


def test_racing_requests_with_one_idempotency_key_make_one_job(api, client, container):
    api.admin()
    user = container.identity.user_by_email("admin@example.com")
    caller = Principal(user_id=UUID(user["user_uuid"]))

    async def race():
        return await asyncio.gather(*[
            container.generation.submit(caller, {"subject": "Race"}, "same-key") for _ in range(6)
        ])

    accepted = asyncio.run(race())
    assert len({a.jobId for a in accepted}) == 1
    assert client.get("/api/v1/courses/jobs", headers=api.admin()).json()["total"] == 1
    # A day later the key is free again.
    real = container.generation._clock
    container.generation._clock = lambda: real() + 25 * 3600
    later = asyncio.run(container.generation.submit(caller, {"subject": "Race"}, "same-key"))
    assert later.jobId != accepted[0].jobId


def test_an_unexpected_failure_is_a_500_in_the_seeds_shape(api, client, container):
    admin = api.admin()

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    container.generation.jobs = broken  # the one way to reach the last row of the table
    body = assert_error(client.get("/api/v1/courses/jobs", headers=admin), 500, "INTERNAL_ERROR")
    assert "a bug" not in body["message"]


def test_an_unexpected_failure_while_submitting_is_a_500_in_the_seeds_shape(api, client, container):
    admin = api.admin()

    async def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    container.generation.submit = broken
    body = assert_error(submit(client, admin), 500, "INTERNAL_ERROR")
    assert "a bug" not in body["message"]


def test_an_overlong_idempotency_key_is_refused(api, client):
    admin = api.admin()
    refused = assert_error(submit(client, {**admin, "Idempotency-Key": "k" * 256}), 400, "VALIDATION_ERROR")
    assert refused["field"] == "Idempotency-Key"
    assert submit(client, {**admin, "Idempotency-Key": "k" * 255}).status_code == 202

"""Trails: enroll, complete, progress, completion once, zero-activity courses, enrollments view."""

from __future__ import annotations

from tests.api.content_helpers import course_tree, create_activity, create_chapter

RUN_FIELDS = {"id", "data", "status", "trail_id", "course_id", "org_id", "user_id", "steps", "creation_date", "update_date"}


def _run(trail, course):
    return next(r for r in trail["runs"] if r["course_uuid"] == course["course_uuid"])


def test_enroll_is_idempotent_and_progress_reaches_100_once(api, client):
    admin = api.admin()
    course, _, acts = course_tree(client, api, admin, activities=2)
    learner = api.member(1, "learner@example.com")
    first = client.post(f"/api/v1/trail/add_course/{course['course_uuid']}", headers=learner)
    assert first.status_code == 200, first.text
    again = client.post(f"/api/v1/trail/add_course/{course['course_uuid']}", headers=learner).json()
    assert len(again["runs"]) == 1 and again["trail_uuid"].startswith("trail_")
    run = _run(again, course)
    assert set(run) >= RUN_FIELDS and run["status"] == "STATUS_IN_PROGRESS" and run["progress_percent"] == 0.0

    half = client.post(f"/api/v1/trail/add_activity/{acts[0]['activity_uuid']}", headers=learner).json()
    run = _run(half, course)
    assert run["progress_percent"] == 50.0 and [s["activity_id"] for s in run["steps"]] == [acts[0]["id"]]
    done = client.post(f"/api/v1/trail/add_activity/{acts[1]['activity_uuid']}", headers=learner).json()
    run = _run(done, course)
    assert run["status"] == "STATUS_COMPLETED" and run["progress_percent"] == 100.0 and run["completed_at"]
    client.post(f"/api/v1/trail/add_activity/{acts[1]['activity_uuid']}", headers=learner)  # again: no-op

    meta = client.get(f"/api/v1/courses/{course['course_uuid']}/meta", headers=learner).json()
    assert meta["trail"]["status"] == "STATUS_COMPLETED"
    assert client.get("/api/v1/trail/", headers=learner).json()["runs"][0]["course_uuid"] == course["course_uuid"]
    assert client.get("/api/v1/trail/org/1/trail", headers=learner).json()["org_id"] == 1

    view = client.get(f"/api/v1/courses/{course['course_uuid']}/enrollments", headers=admin).json()
    assert view["total"] == 1 and view["items"][0]["progress_percent"] == 100.0
    assert view["items"][0]["user"]["email"] == "learner@example.com"
    assert client.get(f"/api/v1/courses/{course['course_uuid']}/enrollments", headers=learner).status_code == 403


def test_adding_an_activity_to_a_completed_course_keeps_it_completed(api, client, container):
    admin = api.admin()
    course, chapter, acts = course_tree(client, api, admin, activities=1)
    learner = api.member(1, "done@example.com")
    client.post(f"/api/v1/trail/add_activity/{acts[0]['activity_uuid']}", headers=learner)
    new = create_activity(client, admin, chapter, name="Bonus")
    run = _run(client.get("/api/v1/trail/", headers=learner).json(), course)
    assert run["status"] == "STATUS_COMPLETED" and run["progress_percent"] == 50.0
    client.post(f"/api/v1/trail/add_activity/{new['activity_uuid']}", headers=learner)
    completed = [
        e for e in container.events.read(0, 10_000) if e.name == "EnrollmentCompleted"
    ]
    assert len(completed) == 1


def test_zero_activity_course_is_zero_percent_and_never_completes(api, client):
    admin = api.admin()
    course = api.create_course(admin)
    create_chapter(client, admin, course)
    learner = api.member(1, "empty@example.com")
    trail = client.post(f"/api/v1/trail/add_course/{course['course_uuid']}", headers=learner).json()
    run = _run(trail, course)
    assert run["progress_percent"] == 0.0 and run["total_activities"] == 0
    assert run["status"] == "STATUS_IN_PROGRESS"


def test_completing_without_enrolling_enrolls_first_and_remove_rules(api, client):
    admin = api.admin()
    course, _, acts = course_tree(client, api, admin, activities=2)
    learner = api.member(1, "auto@example.com")
    other = api.member(1, "other@example.com")
    refused = client.delete(f"/api/v1/trail/remove_activity/{acts[0]['activity_uuid']}", headers=other)
    assert refused.status_code == 409 and refused.json()["code"] == "NOT_ENROLLED"
    trail = client.post(f"/api/v1/trail/add_activity/{acts[0]['activity_uuid']}", headers=learner).json()
    assert _run(trail, course)["progress_percent"] == 50.0
    undone = client.delete(f"/api/v1/trail/remove_activity/{acts[0]['activity_uuid']}", headers=learner).json()
    assert _run(undone, course)["progress_percent"] == 0.0
    left = client.delete(f"/api/v1/trail/remove_course/{course['course_uuid']}", headers=learner).json()
    assert left["runs"] == []
    assert client.delete(f"/api/v1/trail/remove_course/{course['course_uuid']}", headers=learner).status_code == 404
    client.cookies.clear()
    assert client.post(f"/api/v1/trail/add_course/{course['course_uuid']}").status_code == 401


def test_private_course_of_another_org_cannot_be_enrolled(api, client):
    admin = api.admin()
    course = api.create_course(admin, public=False)
    other = api.create_org(admin, "elsewhere")
    outsider = api.member(other["id"], "out@example.com")
    assert client.post(f"/api/v1/trail/add_course/{course['course_uuid']}", headers=outsider).status_code == 404

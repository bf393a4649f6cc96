"""Seed 000 / LearnHouse courses: multipart create, read, JSON update, delete, list, count."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def settings_env(settings_env: dict[str, str]) -> dict[str, str]:
    settings_env["LEARNSTREAM_PAGE_LIMIT_MAX"] = "3"
    settings_env["LEARNSTREAM_MAX_UPLOAD_BYTES"] = "2048"
    return settings_env


def form(**fields: Any) -> dict[str, Any]:
    base = {
        "name": "Introduction to Python",
        "description": "A beginner-friendly Python course",
        "about": "Learn Python from scratch.",
        "public": "true",
    }
    base.update(fields)
    return {k: (None, v) for k, v in base.items() if v is not None}


def user_id(client: Any, headers: dict[str, str]) -> int:
    return int(client.get("/api/v1/users/profile", headers=headers).json()["id"])


def test_create_course_multipart_returns_course_read(client, api):
    admin = api.admin()
    response = client.post("/api/v1/courses/?org_id=1", files=form(learnings="loops", tags="py"), headers=admin)
    assert response.status_code == 200, response.text
    course = response.json()
    assert course["course_uuid"].startswith("course_") and isinstance(course["id"], int)
    assert course["org_id"] == 1
    assert (course["name"], course["description"], course["about"]) == (
        "Introduction to Python", "A beginner-friendly Python course", "Learn Python from scratch."
    )
    assert (course["learnings"], course["tags"]) == ("loops", "py")
    assert course["public"] is True and course["open_to_contributors"] is False
    assert course["thumbnail_type"] == "image" and course["thumbnail_image"] == ""
    for field in ("published", "thumbnail_video", "seo", "extra_metadata", "creation_date",
                  "update_date", "authors"):
        assert field in course
    (author,) = course["authors"]
    assert author["user"]["email"] == "admin@example.com"
    assert (author["authorship"], author["authorship_status"]) == ("CREATOR", "ACTIVE")
    # By org_uuid as well.
    org_uuid = client.get("/api/v1/orgs/1").json()["org_uuid"]
    assert client.post(f"/api/v1/courses/?org_id={org_uuid}", files=form(), headers=admin).status_code == 200


@pytest.mark.parametrize("missing", ["name", "description", "about"])
def test_create_course_names_the_missing_field(client, api, missing):
    response = client.post(
        "/api/v1/courses/?org_id=1", files=form(**{missing: None}), headers=api.admin()
    )
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == missing and missing in body["detail"]
    assert body["code"] == "VALIDATION_ERROR"


def test_create_course_other_input_errors(client, api):
    admin = api.admin()
    blank = client.post("/api/v1/courses/?org_id=1", files=form(name="   "), headers=admin)
    assert blank.status_code == 422 and blank.json()["field"] == "name"
    not_bool = client.post("/api/v1/courses/?org_id=1", files=form(public="maybe"), headers=admin)
    assert not_bool.status_code == 422 and not_bool.json()["field"] == "public"
    no_org = client.post("/api/v1/courses/", files=form(), headers=admin)
    assert no_org.status_code == 422 and no_org.json()["field"] == "org_id"
    unknown_org = client.post("/api/v1/courses/?org_id=4242", files=form(), headers=admin)
    assert unknown_org.status_code == 404
    assert unknown_org.json()["detail"] == "Organization not found"
    client.cookies.clear()
    anonymous = client.post("/api/v1/courses/?org_id=1", files=form())
    assert anonymous.status_code == 401
    assert anonymous.json()["detail"] == "You should be logged in to perform this action"


def test_thumbnail_is_stored_under_the_data_dir(client, api, container):
    files = form()
    files["thumbnail"] = ("cover.png", PNG, "image/png")
    response = client.post("/api/v1/courses/?org_id=1", files=files, headers=api.admin())
    assert response.status_code == 200, response.text
    path = response.json()["thumbnail_image"]
    assert path and path.endswith(".png")
    stored = Path(container.settings.data_dir).resolve() / "files" / path
    assert stored.read_bytes() == PNG


def test_thumbnail_type_and_size_are_checked(client, api):
    admin = api.admin()
    text = form()
    text["thumbnail"] = ("notes.txt", b"hello", "text/plain")
    response = client.post("/api/v1/courses/?org_id=1", files=text, headers=admin)
    assert response.status_code == 422 and response.json()["field"] == "thumbnail"
    liar = form()
    liar["thumbnail"] = ("cover.png", b"<script>alert(1)</script>", "image/png")
    response = client.post("/api/v1/courses/?org_id=1", files=liar, headers=admin)
    assert response.status_code == 422 and response.json()["field"] == "thumbnail"
    big = form()
    big["thumbnail"] = ("big.png", PNG + b"\x00" * 4096, "image/png")
    response = client.post("/api/v1/courses/?org_id=1", files=big, headers=admin)
    assert response.status_code == 413
    assert set(response.json()) >= {"detail", "code"}
    # Nothing was created by the refused requests.
    assert client.get("/api/v1/courses/org_slug/default/count", headers=admin).json() == 0


def test_get_by_uuid_and_numeric_id(client, api):
    admin = api.admin()
    course = api.create_course(admin)
    client.cookies.clear()
    by_uuid = client.get(f"/api/v1/courses/{course['course_uuid']}")
    by_id = client.get(f"/api/v1/courses/id/{course['id']}")
    assert by_uuid.status_code == by_id.status_code == 200
    assert by_uuid.json() == by_id.json() == course
    for path in ("/api/v1/courses/course_nope", "/api/v1/courses/id/999999"):
        missing = client.get(path)
        assert missing.status_code == 404
        assert missing.json() == {"detail": "Course not found", "code": "NOT_FOUND"}
    assert client.get("/api/v1/courses/id/abc").status_code == 422


def test_update_is_partial_json_and_publishing_emits_events(client, api, container):
    admin = api.admin()
    course = api.create_course(admin)
    response = client.put(
        f"/api/v1/courses/{course['course_uuid']}", json={"name": "Python 2", "public": False}, headers=admin
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["name"], updated["public"]) == ("Python 2", False)
    assert updated["about"] == course["about"] and updated["description"] == course["description"]
    off = client.put(f"/api/v1/courses/{course['course_uuid']}", json={"published": False}, headers=admin)
    assert off.json()["published"] is False
    on = client.put(f"/api/v1/courses/{course['course_uuid']}", json={"published": True}, headers=admin)
    assert on.json()["published"] is True
    names = [type(e).__qualname__ for e in container.events.history(UUID(course["course_uuid"][7:]))]
    assert names[-2:] == ["Course.CourseUnpublished", "Course.CoursePublished"]
    assert "Course.CourseUpdated" in names
    # Sending the same values again changes nothing (no new events).
    client.put(f"/api/v1/courses/{course['course_uuid']}", json={"published": True, "name": "Python 2"}, headers=admin)
    assert len(container.events.history(UUID(course["course_uuid"][7:]))) == len(names)
    blank = client.put(f"/api/v1/courses/{course['course_uuid']}", json={"name": ""}, headers=admin)
    assert blank.status_code == 422 and blank.json()["field"] == "name"
    wrong_type = client.put(f"/api/v1/courses/{course['course_uuid']}", json={"public": "yes"}, headers=admin)
    assert wrong_type.status_code == 422 and wrong_type.json()["field"] == "public"
    missing = client.put("/api/v1/courses/course_nope", json={"name": "x"}, headers=admin)
    assert missing.status_code == 404


def test_delete_then_404(client, api):
    admin = api.admin()
    course = api.create_course(admin)
    response = client.delete(f"/api/v1/courses/{course['course_uuid']}", headers=admin)
    assert response.status_code == 200
    assert response.json() == {"detail": "Course deleted"}
    gone = client.get(f"/api/v1/courses/{course['course_uuid']}", headers=admin)
    assert gone.status_code == 404 and gone.json()["detail"] == "Course not found"
    assert client.delete(f"/api/v1/courses/{course['course_uuid']}", headers=admin).status_code == 404
    assert client.put(f"/api/v1/courses/{course['course_uuid']}", json={"name": "x"}, headers=admin).status_code == 404
    assert client.get("/api/v1/courses/org_slug/default/count", headers=admin).json() == 0


def test_list_is_a_plain_array_newest_first_with_a_capped_limit(client, api):
    admin = api.admin()
    made = [api.create_course(admin, name=f"Course {i}")["course_uuid"] for i in range(5)]
    response = client.get("/api/v1/courses/org_slug/default/page/1/limit/50", headers=admin)
    assert response.status_code == 200
    listed = response.json()
    assert isinstance(listed, list)
    assert [c["course_uuid"] for c in listed] == made[::-1][:3]  # page_limit_max = 3 here
    second = client.get("/api/v1/courses/org_slug/default/page/2/limit/2", headers=admin).json()
    assert [c["course_uuid"] for c in second] == made[::-1][2:4]
    assert client.get("/api/v1/courses/org_slug/default/page/9/limit/2", headers=admin).json() == []
    count = client.get("/api/v1/courses/org_slug/default/count", headers=admin)
    assert count.status_code == 200 and count.json() == 5 and count.text.strip() == "5"
    for path in ("/page/0/limit/2", "/page/1/limit/0"):
        bad = client.get(f"/api/v1/courses/org_slug/default{path}", headers=admin)
        assert bad.status_code == 422, path
    unknown = client.get("/api/v1/courses/org_slug/nope/page/1/limit/2")
    assert unknown.status_code == 404 and unknown.json()["detail"] == "Organization not found"
    assert client.get("/api/v1/courses/org_slug/nope/count").status_code == 404


def test_visibility_of_private_and_unpublished_courses(client, api):
    admin = api.admin()
    public = api.create_course(admin, name="Public")
    private = api.create_course(admin, name="Private", public=False)
    draft = api.create_course(admin, name="Draft")
    client.put(f"/api/v1/courses/{draft['course_uuid']}", json={"published": False}, headers=admin)
    learner = api.member(1, "learner@example.com")
    outsider_org = api.create_org(admin, "elsewhere")
    outsider = api.member(outsider_org["id"], "outsider@example.com")

    def visible(headers: dict[str, str] | None) -> set[str]:
        client.cookies.clear()
        listed = client.get("/api/v1/courses/org_slug/default/page/1/limit/3", headers=headers or {}).json()
        count = client.get("/api/v1/courses/org_slug/default/count", headers=headers or {}).json()
        names = {c["name"] for c in listed}
        assert count == len(names)
        for course in (public, private, draft):
            got = client.get(f"/api/v1/courses/{course['course_uuid']}", headers=headers or {})
            assert (got.status_code == 200) == (course["name"] in names), (course["name"], got.text)
        return names

    assert visible(None) == {"Public"}
    assert visible(outsider) == {"Public"}
    assert visible(learner) == {"Public", "Private"}
    assert visible(admin) == {"Public", "Private", "Draft"}
    # An instructor sees their own draft, not another author's.
    instructor = api.member(1, "teacher@example.com")
    api.set_role(admin, 1, user_id(client, instructor), "role_global_instructor")
    own = api.create_course(instructor, name="Mine", published="false")
    assert own["published"] is False
    assert visible(instructor) == {"Public", "Private", "Mine"}


def test_course_rights_by_role(client, api):
    admin = api.admin()
    learner = api.member(1, "user-role@example.com")
    refused = client.post("/api/v1/courses/?org_id=1", files=form(), headers=learner)
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "User rights (roles & authorship) : You don't have the right to perform this action"
    )
    theirs = api.create_course(admin, name="Admin's")
    teacher = api.member(1, "instructor@example.com")
    api.set_role(admin, 1, user_id(client, teacher), "role_global_instructor")
    mine = api.create_course(teacher, name="Teacher's")
    assert client.put(f"/api/v1/courses/{mine['course_uuid']}", json={"about": "new"}, headers=teacher).status_code == 200
    assert client.put(f"/api/v1/courses/{theirs['course_uuid']}", json={"about": "x"}, headers=teacher).status_code == 403
    assert client.delete(f"/api/v1/courses/{theirs['course_uuid']}", headers=teacher).status_code == 403
    assert client.put(f"/api/v1/courses/{mine['course_uuid']}", json={"about": "y"}, headers=learner).status_code == 403
    assert client.delete(f"/api/v1/courses/{mine['course_uuid']}", headers=learner).status_code == 403
    maintainer = api.member(1, "maint@example.com")
    api.set_role(admin, 1, user_id(client, maintainer), "role_global_maintainer")
    assert client.put(f"/api/v1/courses/{mine['course_uuid']}", json={"about": "m"}, headers=maintainer).status_code == 200
    assert client.delete(f"/api/v1/courses/{mine['course_uuid']}", headers=teacher).status_code == 200
    client.cookies.clear()
    assert client.delete(f"/api/v1/courses/{theirs['course_uuid']}").status_code == 401

"""Chapters and activities: seed shapes, order, meta, versions (SQLite and PostgreSQL)."""

from __future__ import annotations

from tests.api.content_helpers import create_activity, create_chapter

CHAPTER_FIELDS = {
    "id", "name", "description", "thumbnail_image", "org_id", "course_id", "chapter_uuid",
    "creation_date", "update_date", "activities",
}
ACTIVITY_FIELDS = {
    "id", "org_id", "course_id", "activity_uuid", "name", "activity_type", "activity_sub_type",
    "content", "details", "published", "creation_date", "update_date",
}


def test_seed_recipe_chapter_then_activities_by_numeric_course_id(api, client):
    admin = api.admin()
    course = api.create_course(admin)
    chapter = create_chapter(client, admin, course)
    assert set(chapter) >= CHAPTER_FIELDS
    assert chapter["chapter_uuid"].startswith("chapter_") and chapter["course_id"] == course["id"]
    assert chapter["org_id"] == course["org_id"] and chapter["activities"] == []

    # course_uuid works where the seed passes the numeric id
    by_uuid = client.post(
        "/api/v1/chapters/",
        json={"name": "Second", "org_id": 1, "course_id": course["course_uuid"]},
        headers=admin,
    )
    assert by_uuid.status_code == 200, by_uuid.text

    activity = create_activity(client, admin, chapter, name="Variables")
    assert set(activity) >= ACTIVITY_FIELDS
    assert activity["activity_uuid"].startswith("activity_")
    assert activity["activity_type"] == "TYPE_DYNAMIC" and activity["chapter_id"] == chapter["id"]

    got = client.get(f"/api/v1/chapters/{chapter['id']}", headers=admin).json()
    assert [a["activity_uuid"] for a in got["activities"]] == [activity["activity_uuid"]]
    assert client.get(f"/api/v1/activities/{activity['activity_uuid']}", headers=admin).json()["name"] == "Variables"
    assert client.get(f"/api/v1/activities/id/{activity['id']}", headers=admin).status_code == 200
    listed = client.get(f"/api/v1/activities/chapter/{chapter['id']}", headers=admin).json()
    assert [a["name"] for a in listed] == ["Variables"]
    page = client.get(f"/api/v1/chapters/course/{course['id']}/page/1/limit/10", headers=admin).json()
    assert [c["name"] for c in page] == ["Getting started", "Second"]


def test_update_delete_and_not_found(api, client):
    admin = api.admin()
    course = api.create_course(admin)
    chapter = create_chapter(client, admin, course)
    activity = create_activity(client, admin, chapter)
    changed = client.put(f"/api/v1/chapters/{chapter['id']}", json={"name": "Renamed"}, headers=admin)
    assert changed.status_code == 200 and changed.json()["name"] == "Renamed"
    changed = client.put(f"/api/v1/activities/{activity['activity_uuid']}", json={"name": "New"}, headers=admin)
    assert changed.json()["name"] == "New" and changed.json()["version"] == 2
    bad = client.put(f"/api/v1/activities/{activity['activity_uuid']}", json={"lock_type": "nope"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["field"] == "lock_type"

    assert client.delete(f"/api/v1/chapters/{chapter['id']}", headers=admin).json() == {"detail": "Chapter deleted"}
    gone = client.get(f"/api/v1/chapters/{chapter['id']}", headers=admin)
    assert gone.status_code == 404 and gone.json()["detail"] == "Chapter does not exist"
    assert client.get(f"/api/v1/activities/{activity['activity_uuid']}", headers=admin).status_code == 404
    missing = client.post("/api/v1/chapters/", json={"name": "x", "org_id": 1, "course_id": 999999}, headers=admin)
    assert missing.status_code == 404 and missing.json()["detail"] == "Course not found"
    no_name = client.post("/api/v1/activities/", json={"chapter_id": 1}, headers=admin)
    assert no_name.status_code == 422 and no_name.json()["field"] == "name"


def test_reorder_chapters_and_move_activity_between_chapters_then_meta(api, client):
    admin = api.admin()
    course = api.create_course(admin)
    first, second = create_chapter(client, admin, course, "One"), create_chapter(client, admin, course, "Two")
    a1, a2 = create_activity(client, admin, first, name="A1"), create_activity(client, admin, first, name="A2")
    body = {"chapter_order_by_ids": [
        {"chapter_id": second["id"], "activities_order_by_ids": [{"activity_id": a2["id"]}]},
        {"chapter_id": first["id"], "activities_order_by_ids": [{"activity_id": a1["id"]}]},
    ]}
    response = client.put(f"/api/v1/chapters/course/{course['course_uuid']}/order", json=body, headers=admin)
    assert response.status_code == 200, response.text
    late = create_chapter(client, admin, course, "Three")  # created after the reorder: sorts last

    meta = client.get(f"/api/v1/courses/{course['course_uuid']}/meta", headers=admin).json()
    assert meta["course_uuid"] == course["course_uuid"] and meta["name"] == course["name"]
    assert [c["name"] for c in meta["chapters"]] == ["Two", "One", "Three"]
    assert [[a["name"] for a in c["activities"]] for c in meta["chapters"]] == [["A2"], ["A1"], []]
    assert meta["chapters"][0]["activities"][0]["chapter_id"] == second["id"]
    assert late["chapter_uuid"] == meta["chapters"][2]["chapter_uuid"]

    legacy = client.get(f"/api/v1/chapters/course/{course['course_uuid']}/meta", headers=admin).json()
    assert legacy["chapterOrder"] == [c["chapter_uuid"] for c in meta["chapters"]]
    assert legacy["chapters"][second["chapter_uuid"]]["activityIds"] == [a2["activity_uuid"]]

    foreign = client.put(
        f"/api/v1/chapters/course/{course['course_uuid']}/order",
        json={"chapter_order_by_ids": [{"chapter_id": 424242, "activities_order_by_ids": []}]},
        headers=admin,
    )
    assert foreign.status_code == 422


def test_unpublished_activities_only_for_editors_and_meta_flag(api, client):
    admin = api.admin()
    course = api.create_course(admin)
    chapter = create_chapter(client, admin, course)
    create_activity(client, admin, chapter, name="Live")
    draft = create_activity(client, admin, chapter, name="Draft", published=False)
    learner = api.member(1, "learner@example.com")
    meta = client.get(f"/api/v1/courses/{course['course_uuid']}/meta", headers=learner).json()
    assert [a["name"] for a in meta["chapters"][0]["activities"]] == ["Live"]
    assert client.get(f"/api/v1/activities/{draft['activity_uuid']}", headers=learner).status_code == 404
    editor_meta = client.get(
        f"/api/v1/courses/{course['course_uuid']}/meta?with_unpublished_activities=true", headers=admin
    ).json()
    assert [a["name"] for a in editor_meta["chapters"][0]["activities"]] == ["Live", "Draft"]


def test_lock_types_gate_activity_content(api, client):
    admin = api.admin()
    course = api.create_course(admin)
    chapter = create_chapter(client, admin, course)
    signed_in = create_activity(client, admin, chapter, name="Members", lock_type="authenticated")
    client.cookies.clear()  # login left session cookies in the test client
    anonymous = client.get(f"/api/v1/activities/{signed_in['activity_uuid']}")
    assert anonymous.status_code == 401
    meta = client.get(f"/api/v1/courses/{course['course_uuid']}/meta").json()
    assert meta["chapters"][0]["activities"][0]["content"] == {} and meta["trail"] is None
    learner = api.member(1, "lock@example.com")
    assert client.get(f"/api/v1/activities/{signed_in['activity_uuid']}", headers=learner).status_code == 200


def test_activity_versions_and_restore_append_history(api, client):
    admin = api.admin()
    course = api.create_course(admin)
    chapter = create_chapter(client, admin, course)
    activity = create_activity(client, admin, chapter, name="v1", content={"text": "first"})
    uuid = activity["activity_uuid"]
    client.put(f"/api/v1/activities/{uuid}", json={"name": "v2", "content": {"text": "second"}}, headers=admin)
    versions = client.get(f"/api/v1/activities/{uuid}/versions", headers=admin).json()
    assert [(v["version"], v["event"]) for v in versions] == [(1, "ActivityCreated"), (2, "ActivityUpdated")]
    old = client.get(f"/api/v1/activities/{uuid}/versions/1", headers=admin).json()
    assert old["name"] == "v1" and old["content"] == {"text": "first"} and old["version"] == 1
    restored = client.post(f"/api/v1/activities/{uuid}/versions/1/restore", headers=admin)
    assert restored.status_code == 200 and restored.json()["name"] == "v1" and restored.json()["version"] == 3
    versions = client.get(f"/api/v1/activities/{uuid}/versions", headers=admin).json()
    assert versions[-1]["event"] == "ActivityRestored" and versions[-1]["restored_from"] == 1
    assert client.get(f"/api/v1/activities/{uuid}/versions/9", headers=admin).status_code == 404
    learner = api.member(1, "peek@example.com")
    assert client.get(f"/api/v1/activities/{uuid}/versions", headers=learner).status_code == 403

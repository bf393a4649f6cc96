"""Rights, table-driven: role x action x resource (chapters, activities, order, meta,
versions, enrollments, collections). Instructors change only courses they author; private
content is invisible (404) to other orgs and to anonymous callers."""

from __future__ import annotations

import pytest

from tests.api.content_helpers import create_activity, create_chapter

OK, NO, HIDDEN, ANON = 200, 403, 404, 401
ACTIONS = (
    "create_chapter", "update_chapter", "delete_chapter", "create_activity", "update_activity",
    "delete_activity", "reorder", "read_meta", "read_activity", "versions", "enrollments",
    "create_collection",
)
EXPECTED = {
    #                  ch+  ch~  ch-  ac+  ac~  ac-  ord  meta read vers enr  coll+
    "admin":          (OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK),
    "maintainer":     (OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK),
    "instructor_own": (OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK),
    "instructor":     (NO, NO, NO, NO, NO, NO, NO, OK, OK, NO, NO, OK),
    "user":           (NO, NO, NO, NO, NO, NO, NO, OK, OK, NO, NO, NO),
    "outsider":       (HIDDEN,) * 11 + (NO,),
    "anonymous":      (HIDDEN,) * 11 + (ANON,),
}


def _headers(api, client, role):
    admin = api.admin()
    if role == "admin":
        return admin
    if role == "anonymous":
        return {}
    if role == "outsider":
        org = api.create_org(admin, "outside")
        return api.member(org["id"], "outsider@example.com")
    user = api.signup(1, f"{role}@example.com")
    grant = {"maintainer": "role_global_maintainer", "instructor": "role_global_instructor",
             "instructor_own": "role_global_instructor"}.get(role)
    if grant:
        api.set_role(admin, 1, user["id"], grant)
    return api.login(f"{role}@example.com", "password-123")


def _act(client, h, action, course, chapter, activity, spare_chapter, spare_activity):
    c = client
    return {
        "create_chapter": lambda: c.post("/api/v1/chapters/", json={"name": "n", "org_id": 1, "course_id": course["id"]}, headers=h),
        "update_chapter": lambda: c.put(f"/api/v1/chapters/{chapter['id']}", json={"name": "m"}, headers=h),
        "delete_chapter": lambda: c.delete(f"/api/v1/chapters/{spare_chapter['id']}", headers=h),
        "create_activity": lambda: c.post("/api/v1/activities/", json={"name": "a", "chapter_id": chapter["id"]}, headers=h),
        "update_activity": lambda: c.put(f"/api/v1/activities/{activity['activity_uuid']}", json={"name": "b"}, headers=h),
        "delete_activity": lambda: c.delete(f"/api/v1/activities/{spare_activity['activity_uuid']}", headers=h),
        "reorder": lambda: c.put(f"/api/v1/chapters/course/{course['course_uuid']}/order", json={"chapter_order_by_ids": []}, headers=h),
        "read_meta": lambda: c.get(f"/api/v1/courses/{course['course_uuid']}/meta", headers=h),
        "read_activity": lambda: c.get(f"/api/v1/activities/{activity['activity_uuid']}", headers=h),
        "versions": lambda: c.get(f"/api/v1/activities/{activity['activity_uuid']}/versions", headers=h),
        "enrollments": lambda: c.get(f"/api/v1/courses/{course['course_uuid']}/enrollments", headers=h),
        "create_collection": lambda: c.post("/api/v1/collections/", json={"name": "c", "public": True, "org_id": 1}, headers=h),
    }[action]()


@pytest.mark.parametrize("role", list(EXPECTED))
def test_rights_matrix(api, client, role):
    admin = api.admin()
    headers = _headers(api, client, role)
    # Instructors get their own course; everyone else acts on the admin's private course.
    owner = headers if role == "instructor_own" else admin
    course = api.create_course(owner, name="Matrix", public=role == "instructor_own")
    chapter, spare_chapter = create_chapter(client, owner, course), create_chapter(client, owner, course, "spare")
    activity = create_activity(client, owner, chapter)
    spare_activity = create_activity(client, owner, chapter, name="spare")
    client.cookies.clear()
    got = {
        action: _act(client, headers, action, course, chapter, activity, spare_chapter, spare_activity).status_code
        for action in ACTIONS
    }
    assert got == dict(zip(ACTIONS, EXPECTED[role], strict=True))

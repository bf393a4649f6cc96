from __future__ import annotations


def test_admin_creates_a_course_and_lists_it_at_once(api, client):
    admin = api.admin()
    course = api.create_course(admin)
    listed = client.get("/api/v1/courses/org_slug/default/page/1/limit/20", headers=admin).json()
    assert [c["course_uuid"] for c in listed] == [course["course_uuid"]]
    assert client.get("/api/v1/courses/org_slug/default/count", headers=admin).json() == 1

"""Every read model of the content issue rebuilds from the log into identical rows."""

from __future__ import annotations

import pytest

from projections.engine.followers import Follower
from projections.engine.framework import reset
from tests.api.content_helpers import create_activity, create_chapter

PROJECTIONS = ("content", "collections", "progress", "search")


def ok(response):
    assert response.status_code == 200, (response.request.method, str(response.request.url), response.text)
    return response


@pytest.fixture
def history(api, client):
    admin = api.admin()
    course = api.create_course(admin, name="Rebuild Python")
    gone = api.create_course(admin, name="Doomed")
    first, second = create_chapter(client, admin, course, "One"), create_chapter(client, admin, course, "Two")
    a1 = create_activity(client, admin, first, name="Café", content={"text": "crème brûlée"})
    a2 = create_activity(client, admin, second, name="Draft", published=False)
    create_activity(client, admin, create_chapter(client, admin, gone), name="lost")
    ok(client.put(f"/api/v1/activities/{a1['activity_uuid']}", json={"name": "Cafe 2"}, headers=admin))
    ok(client.post(f"/api/v1/activities/{a1['activity_uuid']}/versions/1/restore", headers=admin))
    ok(client.put(f"/api/v1/activities/{a2['activity_uuid']}", json={"published": True}, headers=admin))
    ok(client.put(f"/api/v1/chapters/course/{course['course_uuid']}/order", json={"chapter_order_by_ids": [
        {"chapter_id": second["id"], "activities_order_by_ids": [{"activity_id": a2["id"]}, {"activity_id": a1["id"]}]},
        {"chapter_id": first["id"], "activities_order_by_ids": []},
    ]}, headers=admin))
    ok(client.post("/api/v1/collections/", json={"name": "Set", "public": True, "org_id": 1, "courses": [course["id"]]}, headers=admin))
    learner = api.member(1, "rebuild@example.com")
    ok(client.post(f"/api/v1/trail/add_activity/{a1['activity_uuid']}", headers=learner))
    ok(client.post(f"/api/v1/trail/add_activity/{a2['activity_uuid']}", headers=learner))
    ok(client.delete(f"/api/v1/courses/{gone['course_uuid']}", headers=admin))


@pytest.mark.parametrize("name", PROJECTIONS)
def test_rebuild_gives_identical_rows(container, history, name):
    projection = container.projections[name]
    container.loop.stop()  # the background follower must not rebuild alongside us
    settled = Follower(projection, container.events)
    settled.start()
    settled.catch_up()  # some writes (course deletion) only wait for the catalog
    before = projection.dump()
    assert any(before.values())
    reset(projection)
    follower = Follower(projection, container.events)
    follower.start()
    follower.catch_up()
    assert projection.dump() == before

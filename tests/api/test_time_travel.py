"""Time travel: an aggregate's events, and its state at a past position or time, for the
people who may see it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.api.content_helpers import course_tree

HISTORY = "/api/v1/history/{ref}"


def history(client: Any, headers: dict[str, str], ref: str, **params: Any) -> Any:
    return client.get(HISTORY.format(ref=ref), params=params, headers=headers)


def events_of(client: Any, headers: dict[str, str], ref: str) -> list[dict[str, Any]]:
    response = history(client, headers, ref)
    assert response.status_code == 200, response.text
    return list(response.json()["events"])


def test_a_courses_events_and_its_past_state(api, client):
    admin = api.admin()
    course = api.create_course(admin, name="First name")
    ref = course["course_uuid"]
    assert client.put(f"/api/v1/courses/{ref}", json={"name": "Second name"}, headers=admin).status_code == 200
    assert client.put(f"/api/v1/courses/{ref}", json={"name": "Third name"}, headers=admin).status_code == 200
    events = events_of(client, admin, ref)
    assert [e["event"] for e in events] == ["course_created", "course_updated", "course_updated"]
    assert [e["version"] for e in events] == [1, 2, 3]
    assert events[1]["data"] == {"changes": {"name": "Second name"}}
    assert all(e["actor"].startswith("user:") and e["request_id"] for e in events)

    then = history(client, admin, ref, as_of=events[1]["position"]).json()
    assert then["version"] == 2 and then["state"]["name"] == "Second name"
    by_time = history(client, admin, ref, as_of=events[0]["time"]).json()
    assert by_time["state"]["name"] == "First name"
    now = history(client, admin, ref, as_of=events[2]["position"] + 1000).json()
    assert now["state"]["name"] == "Third name"

    current = client.get(f"/api/v1/courses/{ref}", headers=admin).json()
    past = client.get(f"/api/v1/courses/{ref}", params={"as_of": events[0]["position"]}, headers=admin)
    assert past.status_code == 200, past.text
    assert set(past.json()) == set(current)
    assert past.json()["name"] == "First name"
    for key in ("id", "org_id", "org_uuid", "course_uuid", "creation_date", "authors"):
        assert past.json()[key] == current[key], key


def test_as_of_rebuilds_each_kind_of_aggregate(api, client):
    admin = api.admin()
    course, chapter, acts = course_tree(client, api, admin, activities=1, name="Kinds")
    collection = client.post(
        "/api/v1/collections/", json={"name": "Picks", "description": "", "public": True, "courses": [], "org_id": 1},
        headers=admin,
    ).json()
    learner = api.member(1, "learner@example.com")
    client.post(f"/api/v1/trail/add_activity/{acts[0]['activity_uuid']}", headers=learner)
    audit = client.get("/api/v1/orgs/1/audit/events", headers=admin).text.splitlines()
    records = [json.loads(x) for x in audit]
    enrollment = next(r["aggregate_uuid"] for r in records if r["event"] == "course_enrolled")
    membership = [r["aggregate_uuid"] for r in records if r["event"] == "user_joined_org"][-1]
    cases = {
        course["course_uuid"]: ("course", "name", "Kinds"),
        chapter["chapter_uuid"]: ("chapter", "name", "Getting started"),
        acts[0]["activity_uuid"]: ("activity", "name", "Lesson 0"),
        collection["collection_uuid"]: ("collection", "name", "Picks"),
        enrollment: ("enrollment", "done", [acts[0]["activity_uuid"].removeprefix("activity_")]),
        membership: ("membership", "role_uuid", "role_global_user"),
    }
    head = records[-1]["position"]
    for ref, (kind, key, value) in cases.items():
        response = history(client, admin, ref, as_of=head)
        assert response.status_code == 200, (kind, response.text)
        body = response.json()
        assert body["aggregate_type"] == kind and body["state"][key] == value, body
    first = events_of(client, admin, course["course_uuid"])[0]["position"]
    assert history(client, admin, course["course_uuid"], as_of=first - 1).status_code == 404
    assert history(client, admin, course["course_uuid"], as_of="last tuesday").status_code == 422
    # digits of another script match a regex's \d but no date parser reads them
    assert history(client, admin, course["course_uuid"], as_of="\u0967\u0968\u0969").status_code == 422
    assert history(client, admin, course["course_uuid"], as_of="2999-01-01 00:00+01:00").status_code == 200


def test_as_of_states_what_parses_in_the_schema(client: Any) -> None:
    """Both routes that take as_of document its form, so a client knows what is refused."""
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/history/{aggregate_uuid}", "/api/v1/courses/{course_uuid}"):
        (as_of,) = [p for p in paths[path]["get"]["parameters"] if p["name"] == "as_of"]
        pattern = as_of["schema"].get("pattern") or as_of["schema"]["oneOf"][0]["pattern"]
        assert re.fullmatch(pattern, "2026-12-02T10:15:00Z") and re.fullmatch(pattern, "42")
        assert not re.fullmatch(pattern, "last tuesday")


@pytest.fixture
def people(api: Any, client: Any) -> dict[str, Any]:
    admin = api.admin()
    course, _, _ = course_tree(client, api, admin, activities=1, name="Guarded")
    learner = api.member(1, "learner@example.com")
    other = api.member(1, "other@example.com")
    client.post(f"/api/v1/trail/add_course/{course['course_uuid']}", headers=learner)
    records = [json.loads(x) for x in client.get("/api/v1/orgs/1/audit/events", headers=admin).text.splitlines()]
    enrollment = next(r["aggregate_uuid"] for r in records if r["event"] == "course_enrolled")
    acme = api.create_org(admin, "acme")
    stranger = api.member(acme["id"], "stranger@example.com")
    return {"admin": admin, "course": course, "learner": learner, "other": other,
            "enrollment": enrollment, "stranger": stranger}


def test_who_may_look_back(client, people):
    course, enrollment = people["course"]["course_uuid"], people["enrollment"]
    client.cookies.clear()
    assert history(client, {}, course).status_code == 401
    assert history(client, people["learner"], course).status_code == 403
    assert client.get(f"/api/v1/courses/{course}", params={"as_of": 1}, headers=people["learner"]).status_code == 403
    assert history(client, people["learner"], enrollment).status_code == 200
    assert history(client, people["other"], enrollment).status_code == 403
    assert history(client, people["admin"], enrollment).status_code == 200
    assert history(client, people["stranger"], course).status_code == 404
    assert history(client, people["admin"], "course_00000000-0000-0000-0000-000000000000").status_code == 404

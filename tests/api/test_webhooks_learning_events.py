"""Content, collection, learning and API-token events reach a real receiver (SQLite and PostgreSQL).

The real API drives every domain change; the receiver on loopback must get each subscribed
event exactly once, with the ``data`` shape the catalogue documents.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from application.webhook_schemas import EVENT_TYPES
from tests.api.content_helpers import create_activity, create_chapter
from tests.api.test_webhooks_management import wait_attempts
from tests.integration.webhook_receiver import Received, Receiver

EVENTS = [
    "chapter_created", "activity_created", "activity_version_created", "activity_version_restored",
    "collection_created", "collection_updated", "collection_deleted", "course_enrolled",
    "course_unenrolled", "activity_completed", "course_completed", "api_token_created",
    "api_token_revoked",
]


@pytest.fixture(autouse=True)
def _allow_loopback(settings_env: dict[str, str]) -> None:
    settings_env["LEARNSTREAM_WEBHOOKS_ALLOW_PRIVATE"] = "1"
    settings_env["LEARNSTREAM_WEBHOOKS_POLL_SECONDS"] = "0.2"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def conforms(value: Any, schema: dict[str, Any], where: str = "data") -> None:
    """The subset of JSON schema the catalogue uses; objects must have exactly their properties."""
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    python: dict[str, type] = {
        "object": dict, "string": str, "array": list, "null": type(None), "integer": int,
        "boolean": bool,
    }
    assert any(isinstance(value, python[k]) for k in kinds), f"{where}: {value!r} is not {kinds}"
    if isinstance(value, bool) and "boolean" not in kinds:
        raise AssertionError(f"{where}: {value!r} is not {kinds}")
    if isinstance(value, dict):
        assert set(value) == set(schema["properties"]), f"{where}: {sorted(value)}"
        for key, sub in schema["properties"].items():
            conforms(value[key], sub, f"{where}.{key}")
    if isinstance(value, list):
        for i, item in enumerate(value):
            conforms(item, schema["items"], f"{where}[{i}]")


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_learning_events_are_delivered_once_with_documented_data(api: Any, receiver: Receiver) -> None:
    client = api.client
    admin = api.admin()
    hook = ok(client.post(
        "/api/v1/orgs/1/webhooks/", json={"url": receiver.url, "events": EVENTS}, headers=admin,
    ))
    receiver.secrets = [hook["secret"]]

    course = api.create_course(admin, name="Webhooks for learners")
    chapter = create_chapter(client, admin, course, name="Basics")
    activity = create_activity(client, admin, chapter, name="First steps")
    act_uuid = activity["activity_uuid"]
    ok(client.put(f"/api/v1/activities/{act_uuid}", json={"name": "First steps, revised"}, headers=admin))
    ok(client.post(f"/api/v1/activities/{act_uuid}/versions/1/restore", headers=admin))

    collection = ok(client.post(
        "/api/v1/collections/",
        json={"name": "Shelf", "description": "d", "public": True, "org_id": 1,
              "courses": [course["course_uuid"]]},
        headers=admin,
    ))
    col_uuid = collection["collection_uuid"]
    ok(client.put(f"/api/v1/collections/{col_uuid}", json={"name": "Top shelf", "courses": []}, headers=admin))
    ok(client.delete(f"/api/v1/collections/{col_uuid}", headers=admin))

    learner = api.signup(1, "learner@example.com")
    member = api.login("learner@example.com", "password-123")
    ok(client.post(f"/api/v1/trail/add_course/{course['course_uuid']}", headers=member))
    ok(client.post(f"/api/v1/trail/add_activity/{act_uuid}", headers=member))
    ok(client.delete(f"/api/v1/trail/remove_course/{course['course_uuid']}", headers=member))

    token = ok(client.post(
        "/api/v1/orgs/1/api-tokens", json={"name": "Nightly sync", "description": "CI"}, headers=admin,
    ))
    ok(client.delete(f"/api/v1/orgs/1/api-tokens/{token['token_uuid']}", headers=admin))

    receiver.wait_for(len(EVENTS), timeout=60)
    # Every delivery logged as acknowledged means nothing more is on its way (the receiver records
    # a request before answering it), so the counts below are final.
    attempts = wait_attempts(api, admin, hook["webhook_uuid"], len(EVENTS))
    assert len(attempts) == len(EVENTS) and all(a["success"] for a in attempts), attempts
    got = receiver.wait_for(len(EVENTS))
    by_id = Counter(r.body["delivery_id"] for r in got)
    assert len(got) == len(EVENTS) and set(by_id.values()) == {1}, by_id
    assert by_id.keys() == {a["delivery_id"] for a in attempts}
    assert sorted(r.body["event"] for r in got) == sorted(EVENTS)
    events: dict[str, Received] = {r.body["event"]: r for r in got}

    for name, item in events.items():
        assert item.body["org_id"] == 1 and type(item.body["org_id"]) is int, item.body
        assert item.headers["X-Webhook-Event"] == name
        assert item.standard_ok == {hook["secret"]: True} and item.sha256_ok == {hook["secret"]: True}
        conforms(item.body["data"], EVENT_TYPES[name].data, f"{name}.data")
        assert token["token"] not in item.raw.decode(), name

    course_obj = {"course_uuid": course["course_uuid"], "name": "Webhooks for learners"}
    chapter_obj = {"chapter_uuid": chapter["chapter_uuid"], "name": "Basics"}
    user_obj = {"user_uuid": learner["user_uuid"], "email": "learner@example.com", "username": "learner"}

    def data(name: str) -> dict[str, Any]:
        return dict(events[name].body["data"])

    assert data("chapter_created") == {"chapter": chapter_obj, "course": course_obj}
    assert data("activity_created") == {
        "activity": {"activity_uuid": act_uuid, "name": "First steps", "activity_type": "TYPE_DYNAMIC"},
        "course": course_obj, "chapter": chapter_obj,
    }
    revised = {"activity_uuid": act_uuid, "name": "First steps, revised", "activity_type": "TYPE_DYNAMIC"}
    assert data("activity_version_created") == {
        "activity": revised, "course": course_obj, "version": 2, "changed_fields": ["name"],
    }
    restored = {**revised, "name": "First steps"}
    assert data("activity_version_restored") == {
        "activity": restored, "course": course_obj, "version": 3, "restored_from_version": 1,
    }
    assert data("collection_created") == {"collection": {"collection_uuid": col_uuid, "name": "Shelf"}}
    assert data("collection_updated") == {
        "collection": {"collection_uuid": col_uuid, "name": "Top shelf"},
        "changed_fields": ["courses", "name"],
    }
    assert data("collection_deleted") == {"collection": {"collection_uuid": col_uuid, "name": "Top shelf"}}
    for name in ("course_enrolled", "course_unenrolled", "course_completed"):
        assert data(name) == {"user": user_obj, "course": course_obj}, name
    assert data("activity_completed") == {"user": user_obj, "course": course_obj, "activity": restored}
    token_obj = {"token_uuid": token["token_uuid"], "name": "Nightly sync", "token_prefix": token["token_prefix"]}
    assert data("api_token_created") == {"token": token_obj}
    assert data("api_token_revoked") == {"token": token_obj}


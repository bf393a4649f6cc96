"""Every event records who caused it: the user, the API token, an anonymous caller or the
system component, and the request id (the one the response's X-Request-ID header names)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from infrastructure.event_metadata import acting_as, split_meta, system_actor
from infrastructure.log_reader import LogReader
from tests.api.generation_support import issue_token, submit, wait_for_job


def entries_since(container: Any, position: int) -> list[tuple[str, dict[str, Any]]]:
    """(event class name, metadata) of every entry appended after ``position``."""
    reader = LogReader.for_store(container.settings, container.events)
    try:
        out = []
        for page in reader.scan(after=position):
            for entry in page:
                state = msgspec.json.decode(entry.state)
                out.append((entry.topic.rsplit(".", 1)[-1], split_meta(state)))
        return out
    finally:
        reader.close()


def user_uuid(api: Any, headers: dict[str, str]) -> str:
    profile = api.client.get("/api/v1/users/profile", headers=headers).json()
    return str(profile["user_uuid"]).removeprefix("user_")


def course_by_session(api: Any) -> tuple[Any, str]:
    headers = api.admin()
    response = api.client.post(
        "/api/v1/courses/?org_id=1", headers={**headers, "X-Request-ID": "req-session-1"},
        files={"name": (None, "A"), "description": (None, "d"), "about": (None, "a")},
    )
    return response, f"user:{user_uuid(api, headers)}"


def course_by_token(api: Any) -> tuple[Any, str]:
    issued = api.client.post(
        "/api/v1/orgs/1/api-tokens", headers=api.admin(),
        json={"name": "ci", "rights": {"courses": {"action_create": True}}},
    ).json()
    response = api.client.post(
        "/api/v1/courses/?org_id=1",
        headers={"Authorization": f"Bearer {issued['token']}", "X-Request-ID": "req-token-1"},
        files={"name": (None, "B"), "description": (None, "d"), "about": (None, "a")},
    )
    return response, f"token:{issued['token_uuid'].removeprefix('apitoken_')}"


def anonymous_signup(api: Any) -> tuple[Any, str]:
    response = api.client.post(
        "/api/v1/users/1", headers={"X-Request-ID": "req-signup-1"},
        json={"username": "newbie", "email": "newbie@example.com", "password": "password-123"},
    )
    return response, "anonymous"


ROUTES = {
    "user session creates a course": (course_by_session, "CourseCreated"),
    "API token creates a course": (course_by_token, "CourseCreated"),
    "anonymous signup": (anonymous_signup, "UserRegistered"),
}


@pytest.mark.parametrize("case", list(ROUTES))
def test_each_route_records_its_actor_and_request_id(case, api, container):
    act, event_name = ROUTES[case]
    before = container.events.last_position()
    response, actor = act(api)
    assert response.status_code == 200, response.text
    request_id = response.headers["x-request-id"]
    caused = [meta for name, meta in entries_since(container, before) if name == event_name]
    assert caused, f"no {event_name} appended"
    assert caused[0] == {"actor": actor, "request_id": request_id}


def test_generation_worker_events_are_the_systems(api, container):
    token = issue_token(api.client, api.admin())
    before = container.events.last_position()
    accepted = submit(api.client, {"Authorization": f"Bearer {token}"})
    assert accepted.status_code == 202, accepted.text
    job = wait_for_job(api.client, accepted.json()["pollUrl"], {"Authorization": f"Bearer {token}"})
    assert job["status"] == "completed"
    actors = {name: meta["actor"] for name, meta in entries_since(container, before)}
    assert actors["GenerationRequested"].startswith("token:")
    assert actors["GenerationStarted"] == "system:generation"
    assert actors["GenerationCompleted"] == "system:generation"
    assert actors["CourseCreated"] == "system:generation"


def test_commands_name_themselves(container):
    before = container.events.last_position()
    with acting_as(system_actor("cli")):
        container.create_admin("ops@example.com", "password-123")
    metas = [meta for _, meta in entries_since(container, before)]
    assert metas and all(m == {"actor": "system:cli", "request_id": None} for m in metas)

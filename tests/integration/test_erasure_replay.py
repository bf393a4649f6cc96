"""After an erasure, ``learnstream replay`` rebuilds every read model with the person erased: the
log still holds every event, byte for byte, and its sealed fields now open to placeholders."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import pytest

from domain.personal_data import ERASED_NAME
from tests.api.test_user_erasure import erase, login, members, signup
from tests.e2e.server_process import run_cli

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

PERSONAL = ("ada@example.com", "Augusta", "Lovelace", "Writes notes on engines", "ada.example")


def dumps(container: Any) -> dict[str, Any]:
    return {name: p.dump() for name, p in container.projections.items()}


def test_replay_after_an_erasure_shows_erased_user_everywhere(api, client, container, settings_env):
    admin = login(client, "admin@example.com", "admin-password-1")
    user = signup(client, "ada@example.com", "ada", first_name="Augusta", last_name="Lovelace")
    headers = login(client, "ada@example.com")
    profile = client.put(
        f"/api/v1/users/{user['id']}", headers=headers,
        json={"bio": "Writes notes on engines", "avatar_image": "https://ada.example/me.png"},
    )
    assert profile.status_code == 200, profile.text
    api.set_role(admin, 1, user["id"], "role_global_instructor")
    course = api.create_course(headers, 1, name="Engines")
    client.cookies.clear()
    assert client.post(f"/api/v1/trail/add_course/{course['course_uuid']}", headers=headers).status_code == 200
    log_before = [(n.id, bytes(n.state)) for n in container.events.read_raw(0, limit=100_000)]

    assert erase(client, user["id"], admin).status_code == 200
    container.loop.stop()  # nothing may follow the log here while the CLI rebuilds its tables
    live = dumps(container)

    done = run_cli(["replay"], settings_env)
    assert done.returncode == 0, done.stdout + done.stderr

    rebuilt = dumps(container)
    assert rebuilt == live
    text = json.dumps(rebuilt, default=str)
    assert not [value for value in PERSONAL if value in text]
    assert members(client, admin)[user["id"]]["user"]["username"] == ERASED_NAME
    author = client.get(f"/api/v1/courses/{course['course_uuid']}", headers=admin).json()["authors"][0]
    assert author["user"]["first_name"] == ERASED_NAME
    # The log: every event before the erasure unchanged, and no personal value in any of them.
    log_after = [(n.id, bytes(n.state)) for n in container.events.read_raw(0, limit=100_000)]
    assert log_after[: len(log_before)] == log_before and len(log_after) > len(log_before)
    raw = b"".join(state for _, state in log_after)
    assert not [value for value in PERSONAL if value.encode() in raw]
    registered = container.events.history(UUID(user["user_uuid"].removeprefix("user_")))[0]
    assert (registered.first_name, registered.last_name, registered.email) == (
        ERASED_NAME, "", author["user"]["email"])

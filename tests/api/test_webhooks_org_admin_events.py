"""Org administration events reach a real receiver once each, with the catalogue's ``data``:
a member removed, a custom role updated and deleted, the signup mechanism changed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from application.webhook_schemas import EVENT_TYPES
from tests.api.test_webhooks_learning_events import conforms, ok
from tests.api.test_webhooks_management import wait_attempts
from tests.integration.webhook_receiver import Receiver

EVENTS = ["user_removed_from_org", "role_updated", "role_deleted", "org_signup_method_changed"]


@pytest.fixture(autouse=True)
def _allow_loopback(settings_env: dict[str, str]) -> None:
    settings_env["LEARNSTREAM_WEBHOOKS_ALLOW_PRIVATE"] = "1"
    settings_env["LEARNSTREAM_WEBHOOKS_POLL_SECONDS"] = "0.2"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def test_org_admin_events_are_delivered_once_with_documented_data(api: Any, receiver: Receiver) -> None:
    client = api.client
    admin = api.admin()
    hook = ok(client.post("/api/v1/orgs/1/webhooks/", json={"url": receiver.url, "events": EVENTS}, headers=admin))
    receiver.secrets = [hook["secret"]]

    leaver = api.signup(1, "leaver@example.com")
    ok(client.delete(f"/api/v1/orgs/1/users/{leaver['id']}", headers=admin))
    role = ok(client.post("/api/v1/roles/org/1", json={"name": "Reviewer", "rights": {}}, headers=admin))
    ok(client.put(f"/api/v1/roles/{role['id']}", json={"name": "Senior reviewer"}, headers=admin))
    assert client.delete(f"/api/v1/roles/{role['id']}", headers=admin).json() == "Role deleted"
    ok(client.put("/api/v1/orgs/1/signup_mechanism?signup_mechanism=inviteOnly", headers=admin))
    # A second org's changes go to its own subscribers, not to org 1's.
    other = api.create_org(admin, "org-b")
    ok(client.put(f"/api/v1/orgs/{other['id']}/signup_mechanism?signup_mechanism=inviteOnly", headers=admin))

    attempts = wait_attempts(api, admin, hook["webhook_uuid"], len(EVENTS))
    assert len(attempts) == len(EVENTS) and all(a["success"] for a in attempts), attempts
    got = receiver.wait_for(len(EVENTS))
    assert len(got) == len(EVENTS), [r.body["event"] for r in got]
    assert set(Counter(r.body["delivery_id"] for r in got).values()) == {1}
    events = {r.body["event"]: r for r in got}
    assert sorted(events) == sorted(EVENTS)
    for name, item in events.items():
        assert item.body["org_id"] == 1, item.body
        assert item.sha256_ok == {hook["secret"]: True}
        conforms(item.body["data"], EVENT_TYPES[name].data, f"{name}.data")

    assert events["user_removed_from_org"].body["data"] == {
        "user": {"user_uuid": leaver["user_uuid"], "email": "leaver@example.com", "username": "leaver"},
    }
    assert events["role_updated"].body["data"] == {"role": {"role_uuid": role["role_uuid"], "name": "Senior reviewer"}}
    assert events["role_deleted"].body["data"] == {"role": {"role_uuid": role["role_uuid"], "name": "Senior reviewer"}}
    assert events["org_signup_method_changed"].body["data"] == {"signup_mechanism": "inviteOnly"}

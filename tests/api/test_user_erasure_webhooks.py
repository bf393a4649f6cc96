"""Webhook payloads after an erasure: what is kept in the delivery log reads as "Erased user",
and events sent after the erasure name the person by placeholders only."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from domain.personal_data import ERASED_NAME
from tests.api.test_user_erasure import erase, login, signup
from tests.api.test_webhooks_learning_events import ok
from tests.integration.webhook_receiver import Receiver

EVENTS = ["user_signed_up", "user_role_changed"]


@pytest.fixture(autouse=True)
def _allow_loopback(settings_env: dict[str, str]) -> None:
    settings_env["LEARNSTREAM_WEBHOOKS_ALLOW_PRIVATE"] = "1"
    settings_env["LEARNSTREAM_WEBHOOKS_POLL_SECONDS"] = "0.2"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def logged_payloads(client: Any, admin: dict[str, str], hook: str, until: Any) -> list[str]:
    """The delivery log's request payloads, polled until ``until(payloads)`` holds."""
    deadline = time.monotonic() + 20
    while True:
        rows = ok_list(client.get(f"/api/v1/orgs/1/webhooks/{hook}/deliveries?limit=200", headers=admin))
        payloads = [str(r["request_payload"]) for r in rows]
        if until(payloads) or time.monotonic() > deadline:
            return payloads
        time.sleep(0.05)


def ok_list(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return list(response.json())


def test_the_delivery_log_forgets_the_person_and_later_events_name_them_erased(client, api, receiver):
    admin = login(client, "admin@example.com", "admin-password-1")
    hook = ok(client.post("/api/v1/orgs/1/webhooks/", json={"url": receiver.url, "events": EVENTS}, headers=admin))
    receiver.secrets = [hook["secret"]]
    user = signup(client, "ada@example.com", "ada")
    api.set_role(admin, 1, user["id"], "role_global_instructor")
    before = logged_payloads(client, admin, hook["webhook_uuid"], lambda p: len(p) >= 2)
    assert sum("ada@example.com" in p for p in before) == 2

    assert erase(client, user["id"], admin).status_code == 200

    # The erasure made them a plain User: one more event, about an erased person.
    after = logged_payloads(
        client, admin, hook["webhook_uuid"],
        lambda p: len(p) >= 3 and not any("ada@example.com" in x for x in p),
    )
    assert len(after) == 3 and not any("ada@example.com" in p or '"ada"' in p for p in after)
    received = receiver.wait_for(3)
    last = received[-1].body
    assert last["event"] == "user_role_changed" and last["data"]["role_uuid"] == "role_global_user"
    assert last["data"]["user"]["username"] == ERASED_NAME
    assert last["data"]["user"]["email"].endswith("@erased.invalid")

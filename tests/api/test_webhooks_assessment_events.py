"""``assessment_started`` and ``assessment_completed`` reach a subscribed receiver of the
session's org (a member's first org, else the platform's default org), with the documented data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from application.webhook_schemas import EVENT_TYPES
from tests.api.assessment_support import respond, sign_up, start, strong_answer
from tests.api.test_webhooks_learning_events import conforms, ok
from tests.integration.webhook_receiver import Receiver

EVENTS = ["assessment_started", "assessment_completed"]


@pytest.fixture(autouse=True)
def _allow_loopback(settings_env: dict[str, str]) -> None:
    settings_env["LEARNSTREAM_WEBHOOKS_ALLOW_PRIVATE"] = "1"
    settings_env["LEARNSTREAM_WEBHOOKS_POLL_SECONDS"] = "0.2"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def test_assessment_events_are_delivered_with_documented_data(api: Any, receiver: Receiver) -> None:
    client = api.client
    admin = api.admin()
    hook = ok(client.post("/api/v1/orgs/1/webhooks/", json={"url": receiver.url, "events": EVENTS},
                          headers=admin))
    receiver.secrets = [hook["secret"]]
    client.cookies.clear()
    me = sign_up(client, "assessed@example.com")
    session = start(client, me, roleId="backend_engineering", skillIds=["python"], thoroughness="quick")
    got = [session["question"]]
    while got[0] != "[ASSESSMENT_COMPLETE]":
        got = respond(client, me, session["sessionId"], strong_answer(got[0]))

    received = receiver.wait_for(2, timeout=60)
    by_name = {r.body["event"]: r.body for r in received}
    assert sorted(by_name) == sorted(EVENTS)
    for name, body in by_name.items():
        assert body["org_id"] == 1
        conforms(body["data"], EVENT_TYPES[name].data, f"{name}.data")
    started = by_name["assessment_started"]["data"]
    assert started["assessment"] == {
        "session_id": session["sessionId"], "role_id": "backend_engineering",
        "target_level": "mid", "thoroughness": "quick", "skill_ids": ["python"]}
    assert started["user"]["email"] == "assessed@example.com"
    completed = by_name["assessment_completed"]["data"]
    assert completed["assessment"] == {"session_id": session["sessionId"]}
    assert completed["scored_concepts"] >= 1 and 0 <= completed["overall_readiness"] <= 100

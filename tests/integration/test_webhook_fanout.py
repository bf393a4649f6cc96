"""Fan-out: one hanging endpoint never delays the others; replay backfills exactly the history."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.integration.webhook_receiver import Receiver
from tests.integration.webhook_support import create_hook, loopback_env, wait_until


@pytest.fixture(autouse=True)
def _env(settings_env: dict[str, str]) -> None:
    loopback_env(settings_env)
    # A hung request ends at this timeout, far beyond the time the healthy endpoints take even
    # on a loaded machine: the fan-out test tells the two apart with a wide margin.
    settings_env["LEARNSTREAM_WEBHOOKS_TIMEOUT"] = "40"


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    made = [Receiver() for _ in range(20)]
    yield made
    for r in made:
        r.close()


def test_twenty_endpoints_one_hanging_the_others_are_not_delayed(api: Any, receivers: list[Receiver]) -> None:
    admin = api.admin()
    hanging, healthy = receivers[0], receivers[1:]
    hanging.hang.set()
    for r in receivers:
        r.secrets = [create_hook(api, admin, r.url, ["course_created"])["secret"]]
    started = time.monotonic()
    courses = 12  # more than the per-endpoint in-flight cap (8): the hung one saturates its slots
    for n in range(courses):
        api.create_course(admin, name=f"Course {n}")
    for r in healthy:
        got = r.wait_for(courses, timeout=30)
        assert all(item.standard_ok[r.secrets[0]] for item in got)
    elapsed = time.monotonic() - started
    # The hung endpoint's requests only end at the 40 s timeout; the others finished long before.
    assert elapsed < 25, elapsed
    assert hanging.received == []


def test_replay_to_a_new_endpoint_delivers_exactly_the_history_asked_for(api: Any, container: Any) -> None:
    admin = api.admin()
    other_org = api.create_org(admin, "elsewhere")
    api.create_course(admin, name="Before")
    time.sleep(0.05)
    since = datetime.now(UTC).isoformat()
    wanted = [api.create_course(admin, name=f"Wanted {n}")["course_uuid"] for n in range(3)]
    api.create_course(admin, other_org["id"], name="Other tenant")
    updated = api.client.put(f"/api/v1/courses/{wanted[0]}", json={"name": "Wanted 0 renamed"}, headers=admin)
    assert updated.status_code == 200, updated.text
    time.sleep(0.05)
    until = datetime.now(UTC).isoformat()
    api.create_course(admin, name="After")

    receiver = Receiver()
    try:
        hook = create_hook(api, admin, receiver.url, ["course_created", "course_updated"])
        receiver.secrets = [hook["secret"]]
        response = api.client.post(
            f"/api/v1/orgs/1/webhooks/{hook['webhook_uuid']}/replay",
            json={"since": since, "until": until, "events": ["course_created"]},
            headers=admin,
        )
        assert response.status_code == 202, response.text
        assert response.json()["replay_id"].startswith("rpl_")
        got = receiver.wait_for(3)
        time.sleep(0.5)  # nothing else trickles in
        assert len(receiver.received) == 3
        # Sent concurrently: arrival order is not promised, the set is.
        assert sorted(g.body["data"]["course"]["course_uuid"] for g in got) == sorted(wanted)
        assert all(g.body["event"] == "course_created" and g.body["replayed"] is True for g in got)
        assert all(g.standard_ok[hook["secret"]] and g.sha256_ok[hook["secret"]] for g in got)
        log = wait_until(lambda: (rows := api.client.get(
            f"/api/v1/orgs/1/webhooks/{hook['webhook_uuid']}/deliveries", headers=admin).json()
        ) and len(rows) == 3 and rows)
        assert all(row["replayed"] for row in log)
        # Without "events", a replay follows the endpoint's subscriptions (the update too).
        again = api.client.post(
            f"/api/v1/orgs/1/webhooks/{hook['webhook_uuid']}/replay",
            json={"since": since, "until": until}, headers=admin,
        )
        assert again.status_code == 202
        more = receiver.wait_for(7)
        assert sorted(g.body["event"] for g in more[3:]) == ["course_created"] * 3 + ["course_updated"]
        assert {g.body["delivery_id"] for g in more[3:]}.isdisjoint({g.body["delivery_id"] for g in got})
    finally:
        receiver.close()


def test_replay_validates_its_request(api: Any) -> None:
    admin = api.admin()
    receiver = Receiver()
    try:
        hook = create_hook(api, admin, receiver.url, ["course_created"])
        url = f"/api/v1/orgs/1/webhooks/{hook['webhook_uuid']}/replay"
        assert api.client.post(url, json={"since": "yesterday"}, headers=admin).status_code == 422
        bad = api.client.post(url, json={"since": "2024-01-01T00:00:00Z", "events": ["nope"]}, headers=admin)
        assert bad.status_code == 400 and bad.json()["detail"].startswith("Invalid event names: nope.")
    finally:
        receiver.close()

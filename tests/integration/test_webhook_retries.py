"""Retries follow the schedule on an injectable clock; a dead endpoint is disabled after 5 days."""

from __future__ import annotations

from typing import Any

import pytest

from infrastructure.webhooks.outbox import SCHEDULE
from tests.conftest import free_port
from tests.integration import webhook_support
from tests.integration.webhook_receiver import Receiver
from tests.integration.webhook_support import (
    FakeClock,
    create_hook,
    delivery_rows,
    loopback_env,
    wait_until,
)

clock = webhook_support.clock
clocked_worker = webhook_support.clocked_worker


@pytest.fixture(autouse=True)
def _env(settings_env: dict[str, str]) -> None:
    loopback_env(settings_env, worker=False)


def attempts_reach(container: Any, hook: dict[str, Any], n: int) -> dict[str, Any]:
    return wait_until(
        lambda: next((r for r in delivery_rows(container, hook["webhook_uuid"]) if r["attempts"] >= n), None),
        what=f"attempt {n}",
    )


def worker_has_had_its_turn(api: Any, container: Any, admin: dict[str, str], course: dict[str, Any],
                            probe: dict[str, Any]) -> None:
    """Return only once the worker has claimed due work at the current clock.

    Each turn of the worker records finished sends, then claims what is due. Two course updates
    delivered to the probe endpoint one after the other, each waited for until recorded, mean
    the turn that recorded the first (and claimed after it) has completed before the second
    was recorded.
    """
    for _ in range(2):
        done = sum(r["status"] == "succeeded" for r in delivery_rows(container, probe["webhook_uuid"]))
        response = api.client.put(
            f"/api/v1/courses/{course['course_uuid']}", json={"name": f"Probe {done}"}, headers=admin
        )
        assert response.status_code == 200, response.text
        wait_until(lambda done=done: sum(r["status"] == "succeeded" for r in delivery_rows(
            container, probe["webhook_uuid"])) == done + 1, what="the probe delivery")


def test_receiver_down_then_up_follows_the_retry_schedule(api: Any, container: Any, clock: FakeClock, clocked_worker: Any) -> None:
    port = free_port()  # nothing listens yet: connection refused
    admin = api.admin()
    hook = create_hook(api, admin, f"http://127.0.0.1:{port}/hook", ["course_created"])
    witness = Receiver()
    receiver: Receiver | None = None
    try:
        probe = create_hook(api, admin, witness.url, ["course_updated"])
        witness.secrets = [probe["secret"]]
        course = api.create_course(admin)
        for attempt in range(1, 4):
            row = attempts_reach(container, hook, attempt)
            assert row["status"] == "pending"
            delay = (row["due_ms"] - clock() * 1000) / 1000
            expected = SCHEDULE[attempt - 1]
            assert 0.9 * expected <= delay <= 1.1 * expected, (attempt, delay)
            clock.advance(delay * 0.5)  # not due yet: nothing may happen
            worker_has_had_its_turn(api, container, admin, course, probe)
            [now] = delivery_rows(container, hook["webhook_uuid"])
            # Neither sent again nor leased (a claim moves due_ms to the end of its lease).
            assert (now["attempts"], now["status"], now["due_ms"]) == (attempt, "pending", row["due_ms"])
            if attempt == 3:
                # The receiver comes up before the 4th attempt falls due (not after: the worker
                # may send the moment the clock moves).
                receiver = Receiver(port=port)
                receiver.secrets = [hook["secret"]]
            clock.advance(delay * 0.5 + 0.001)
            clocked_worker.wake()
        assert receiver is not None
        [got] = receiver.wait_for(1)
        assert got.standard_ok[hook["secret"]] and got.sha256_ok[hook["secret"]]
        row = wait_until(lambda: delivery_rows(container, hook["webhook_uuid"])[0]["status"] == "succeeded"
                         and delivery_rows(container, hook["webhook_uuid"])[0])
        assert row["attempts"] == 4
        log = api.client.get(
            f"/api/v1/orgs/1/webhooks/{hook['webhook_uuid']}/deliveries", headers=admin
        ).json()
        assert [a["success"] for a in log] == [True, False, False, False]
        assert {a["delivery_id"] for a in log} == {got.body["delivery_id"]}
        assert all(a["error_message"] for a in log[1:])
        assert len(witness.received) == 6  # the probes reached their receiver
    finally:
        witness.close()
        if receiver is not None:
            receiver.close()


def test_after_the_last_retry_the_delivery_is_failed(api: Any, container: Any, clock: FakeClock, clocked_worker: Any) -> None:
    admin = api.admin()
    hook = create_hook(api, admin, f"http://127.0.0.1:{free_port()}/hook", ["course_created"])
    api.create_course(admin)
    for attempt in range(1, len(SCHEDULE) + 1):
        row = attempts_reach(container, hook, attempt)
        clock.advance((row["due_ms"] - clock() * 1000) / 1000 + 0.001)
        clocked_worker.wake()
    row = wait_until(lambda: delivery_rows(container, hook["webhook_uuid"])[0]["status"] == "failed"
                     and delivery_rows(container, hook["webhook_uuid"])[0])
    assert row["attempts"] == len(SCHEDULE) + 1
    total = sum(SCHEDULE)
    assert 2 * 86400 < total < 3 * 86400  # about three days of trying


def test_endpoint_failing_for_five_days_is_disabled_and_others_are_told(api: Any, container: Any, clock: FakeClock, clocked_worker: Any) -> None:
    admin = api.admin()
    watcher = Receiver()
    try:
        dead = create_hook(api, admin, f"http://127.0.0.1:{free_port()}/hook", ["course_created"])
        observer = create_hook(api, admin, watcher.url, ["webhook_endpoint_disabled"])
        watcher.secrets = [observer["secret"]]
        api.create_course(admin)
        attempts_reach(container, dead, 1)
        clock.advance(4 * 86400)
        api.create_course(admin, name="Second")
        wait_until(lambda: len(delivery_rows(container, dead["webhook_uuid"])) == 2
                   and delivery_rows(container, dead["webhook_uuid"])[1]["attempts"] >= 1)
        hook_url = f"/api/v1/orgs/1/webhooks/{dead['webhook_uuid']}"
        assert api.client.get(hook_url, headers=admin).json()["is_active"] is True
        clock.advance(86400 + 60)
        api.create_course(admin, name="Third")
        [notice] = watcher.wait_for(1)
        assert notice.body["event"] == "webhook_endpoint_disabled"
        assert notice.body["data"]["webhook"]["webhook_uuid"] == dead["webhook_uuid"]
        assert notice.standard_ok[observer["secret"]]
        state = wait_until(lambda: (r := api.client.get(hook_url, headers=admin).json())["is_active"] is False and r)
        assert state["disabled_reason"].startswith("Failing continuously since")
        enabled = api.client.put(hook_url, json={"is_active": True}, headers=admin).json()
        assert enabled["is_active"] is True and enabled["disabled_reason"] is None
    finally:
        watcher.close()


def test_rotated_secret_signs_alongside_the_old_one_for_24_hours(api: Any, container: Any, clock: FakeClock, clocked_worker: Any) -> None:
    admin = api.admin()
    receiver = Receiver()
    try:
        hook = create_hook(api, admin, receiver.url, ["course_created"])
        old = hook["secret"]
        rotated = api.client.post(
            f"/api/v1/orgs/1/webhooks/{hook['webhook_uuid']}/regenerate-secret", headers=admin
        ).json()
        new = rotated["secret"]
        assert new != old and new.startswith("whsec_")
        receiver.secrets = [old, new]
        api.create_course(admin)
        [during] = receiver.wait_for(1)
        assert during.standard_ok == {old: True, new: True}
        assert during.sha256_ok == {old: True, new: True}
        clock.advance(24 * 3600 + 1)
        api.create_course(admin, name="After the overlap")
        after = receiver.wait_for(2)[1]
        assert after.standard_ok == {old: False, new: True}
        assert after.sha256_ok == {old: False, new: True}
    finally:
        receiver.close()

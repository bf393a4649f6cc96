"""Delivery workers wake when there is work, not on a timer: with a poll interval of a minute,
a new event's delivery and a redelivery still go out at once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.webhook_receiver import Receiver
from tests.integration.webhook_support import create_hook, delivery_rows, loopback_env, wait_until


@pytest.fixture(autouse=True)
def _env(settings_env: dict[str, str]) -> None:
    loopback_env(settings_env)
    settings_env["LEARNSTREAM_WEBHOOKS_POLL_SECONDS"] = "60"


def test_queued_and_redelivered_deliveries_go_out_without_waiting_for_the_poll(
    api: Any, container: Any
) -> None:
    admin = api.admin()
    receiver = Receiver()
    try:
        hook = create_hook(api, admin, receiver.url, ["course_created"])
        api.create_course(admin, name="Woken")
        first = receiver.wait_for(1, timeout=10)
        assert first[0].body["event"] == "course_created"
        # Redelivery is for a delivery that finished (a user sees it in the log first).
        done = wait_until(
            lambda: [r for r in delivery_rows(container, hook["webhook_uuid"]) if r["status"] == "succeeded"],
            timeout=10, what="the first delivery recorded",
        )
        delivery_id = done[0]["delivery_id"]
        again = api.client.post(
            f"/api/v1/orgs/1/webhooks/{hook['webhook_uuid']}/deliveries/{delivery_id}/redeliver",
            headers=admin,
        )
        assert again.status_code == 202, again.text
        both = receiver.wait_for(2, timeout=10)
        assert [item.body["delivery_id"] for item in both] == [delivery_id, delivery_id]
    finally:
        receiver.close()

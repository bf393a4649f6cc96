"""A callback that fails is retried on the outbox's schedule, with the same delivery id."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.api.generation_support import submit, wait_for_job
from tests.integration import webhook_support
from tests.integration.webhook_receiver import Receiver
from tests.integration.webhook_support import loopback_env

clock = webhook_support.clock
clocked_worker = webhook_support.clocked_worker
pytestmark = pytest.mark.usefixtures("clocked_worker")


@pytest.fixture
def settings_env(settings_env):
    loopback_env(settings_env, worker=False)
    return settings_env


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver(status=500)
    yield made
    made.close()


def test_a_failed_callback_is_sent_again_later_with_the_same_id(api, client, receiver, clock):
    admin = api.admin()
    receiver.secrets = [client.get("/api/v1/admin/default/generation/callback-secret", headers=admin).json()["secret"]]
    accepted = submit(client, admin, {"subject": "Retry me", "callbackUrl": receiver.url}).json()
    wait_for_job(client, accepted["pollUrl"], admin)
    [first] = receiver.wait_for(1)
    receiver.status = 200
    # The worker schedules the retry (5 s ± 10% later on its clock) only once it has read the
    # 500, which may be after this line: move the clock on until the retry has come.
    deadline = time.monotonic() + 20
    while len(receiver.received) < 2:
        assert time.monotonic() < deadline, "the callback was not sent again"
        clock.advance(10)
        time.sleep(0.1)
    second = receiver.wait_for(2)[1]
    assert second.headers["webhook-id"] == first.headers["webhook-id"]
    assert second.body == first.body and second.body["event"] == "course.created"
    assert second.standard_ok[receiver.secrets[0]]

"""callbackUrl through the webhook outbox, received by a real HTTP receiver that verifies every
request with ``standardwebhooks``; the org's own webhooks get the catalogue's generation events."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.generation_support import COURSE_FIELDS, submit, wait_for_job
from tests.integration.webhook_receiver import Receiver
from tests.integration.webhook_support import create_hook, loopback_env, wait_until


@pytest.fixture
def settings_env(settings_env):
    loopback_env(settings_env)
    settings_env["LEARNSTREAM_GENERATION_POLL_SECONDS"] = "0.2"
    return settings_env


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


@pytest.fixture
def org_hook() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


def _secret(client: Any, headers: dict[str, str]) -> str:
    response = client.get("/api/v1/admin/default/generation/callback-secret", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["secret"])


def test_course_created_reaches_the_callback_signed_and_the_org_webhook_too(api, client, receiver, org_hook):
    admin = api.admin()
    receiver.secrets = [_secret(client, admin)]
    org_hook.secrets = [
        create_hook(api, admin, org_hook.url, ["course_generation_completed", "course_generation_failed"])["secret"]
    ]
    accepted = submit(client, admin, {"subject": "Fire drills", "callbackUrl": receiver.url}).json()
    job = wait_for_job(client, accepted["pollUrl"], admin)

    [got] = receiver.wait_for(1)
    assert set(got.body) == {"event", "jobId", "course"}
    assert got.body["event"] == "course.created" and got.body["jobId"] == accepted["jobId"]
    assert set(got.body["course"]) == COURSE_FIELDS
    assert got.body["course"] == job["course"]
    assert got.standard_ok[receiver.secrets[0]] and got.sha256_ok[receiver.secrets[0]]
    assert got.headers["webhook-id"].startswith("dlv_")

    [hooked] = org_hook.wait_for(1)
    assert hooked.body["event"] == "course_generation_completed"
    assert hooked.body["data"] == {"jobId": accepted["jobId"], "course": job["course"]}
    assert hooked.standard_ok[org_hook.secrets[0]]
    # The callback target is not one of the org's webhooks.
    listed = client.get("/api/v1/orgs/1/webhooks/", headers=admin).json()
    assert [w["url"] for w in listed] == [org_hook.url]


def test_course_failed_reaches_the_callback_when_a_job_is_cancelled(api, client, container, receiver, org_hook):
    admin = api.admin()
    receiver.secrets = [_secret(client, admin)]
    org_hook.secrets = [create_hook(api, admin, org_hook.url, ["course_generation_failed"])["secret"]]
    container.stop_generation_worker()
    accepted = submit(client, admin, {"subject": "Never written", "callbackUrl": receiver.url}).json()
    assert client.delete(accepted["pollUrl"], headers=admin).status_code == 200

    [got] = receiver.wait_for(1)
    assert got.body == {
        "event": "course.failed", "jobId": accepted["jobId"],
        "error": {"message": "The job was cancelled.", "code": "JOB_CANCELLED"},
    }
    assert got.standard_ok[receiver.secrets[0]]
    [hooked] = org_hook.wait_for(1)
    assert hooked.body["event"] == "course_generation_failed"
    assert hooked.body["data"]["error"]["code"] == "JOB_CANCELLED"


def test_a_rotated_secret_signs_with_both_secrets_for_a_day(api, client, receiver):
    admin = api.admin()
    old = _secret(client, admin)
    rotated = client.post("/api/v1/admin/default/generation/callback-secret/rotate", headers=admin)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new != old and rotated.json()["previous_valid_until"]
    assert _secret(client, admin) == new
    receiver.secrets = [old, new]
    submit(client, admin, {"subject": "Rotation", "callbackUrl": receiver.url})
    [got] = receiver.wait_for(1)
    assert got.standard_ok[new] and got.standard_ok[old]


def test_a_member_cannot_read_the_callback_secret(api, client):
    member = api.member(1, "learner@example.com")
    response = client.get("/api/v1/admin/default/generation/callback-secret", headers=member)
    assert response.status_code == 403
    assert "secret" not in response.json()


def test_the_same_idempotency_key_never_calls_back_twice(api, client, receiver):
    admin = api.admin()
    receiver.secrets = [_secret(client, admin)]
    headers = {**admin, "Idempotency-Key": "cb-1"}
    first = submit(client, headers, {"subject": "Once", "callbackUrl": receiver.url}).json()
    second = submit(client, headers, {"subject": "Once", "callbackUrl": receiver.url}).json()
    assert first["jobId"] == second["jobId"]
    wait_for_job(client, first["pollUrl"], admin)
    receiver.wait_for(1)
    wait_until(lambda: client.get(first["pollUrl"], headers=admin).json()["status"] == "completed")
    assert [r.body["jobId"] for r in receiver.received] == [first["jobId"]]

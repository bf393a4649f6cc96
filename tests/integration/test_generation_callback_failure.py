"""A job the model cannot write (here: no Anthropic key anywhere) fails, and says so: the
callback gets ``course.failed`` signed like every webhook, the org's webhooks get
``course_generation_failed`` (a subscribable event of the catalogue), and the credit is given
back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.generation_support import submit, wait_for_job
from tests.integration.webhook_receiver import Receiver
from tests.integration.webhook_support import create_hook, loopback_env


@pytest.fixture
def backend():
    return "sqlite"  # the failure's path does not depend on the store


@pytest.fixture
def settings_env(settings_env):
    loopback_env(settings_env)
    settings_env["LEARNSTREAM_GENERATION_POLL_SECONDS"] = "0.2"
    settings_env["LEARNSTREAM_AI_PROVIDER"] = "anthropic"
    settings_env["LEARNSTREAM_ANTHROPIC_API_KEY"] = ""
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


def test_the_catalogue_offers_both_generation_events(api, client):
    body = client.get("/api/v1/orgs/1/webhooks/events", headers=api.admin()).json()
    by_name = {e["name"]: e for e in body["catalogue"]}
    for name, field in (("course_generation_completed", "course"), ("course_generation_failed", "error")):
        assert name in body["events"]
        assert by_name[name]["subscribable"] is True
        assert {"jobId", field} <= set(by_name[name]["schema"]["properties"])


def test_a_failed_job_calls_back_course_failed_and_gives_its_credit_back(api, client, receiver, org_hook):
    admin = api.admin()
    receiver.secrets = [client.get("/api/v1/admin/default/generation/callback-secret", headers=admin).json()["secret"]]
    org_hook.secrets = [create_hook(api, admin, org_hook.url, ["course_generation_failed"])["secret"]]
    accepted = submit(client, admin, {"subject": "Unwritten", "callbackUrl": receiver.url}).json()
    job = wait_for_job(client, accepted["pollUrl"], admin)
    assert job["status"] == "failed" and job["course"] is None
    assert job["error"]["code"] == "MODEL_KEY_MISSING"

    [got] = receiver.wait_for(1)
    assert got.body == {"event": "course.failed", "jobId": accepted["jobId"], "error": job["error"]}
    assert got.standard_ok[receiver.secrets[0]] and got.sha256_ok[receiver.secrets[0]]
    [hooked] = org_hook.wait_for(1)
    assert hooked.body["event"] == "course_generation_failed"
    assert hooked.body["data"] == {"jobId": accepted["jobId"], "error": job["error"]}
    assert hooked.standard_ok[org_hook.secrets[0]]
    account = client.get("/api/v1/admin/default/generation", headers=admin).json()
    assert account["credits_used"] == 0

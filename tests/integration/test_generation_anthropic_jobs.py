"""Generation jobs on the Anthropic adapter, against the local fake Messages API: what each
failure does to the JOB (its status and error code) and that retries really happen."""

from __future__ import annotations

import json
import time

import pytest

from application.offline_course_writer import written
from tests.api.generation_support import SEED_EXAMPLE, submit, wait_for_job
from tests.fakes.fake_anthropic import (
    delay,
    malformed,
    overloaded,
    prompt_of,
    rate_limited,
    server_error,
    tool_name_of,
    unauthorized,
)


@pytest.fixture
def backend():
    return "sqlite"  # the job's reaction to the model does not depend on the store


@pytest.fixture
def settings_env(settings_env, fake_anthropic):
    fake_anthropic.responder = lambda body: written(tool_name_of(body), prompt_of(body))
    return {
        **settings_env,
        "LEARNSTREAM_AI_PROVIDER": "anthropic",
        "LEARNSTREAM_ANTHROPIC_API_KEY": fake_anthropic.api_key,
        "LEARNSTREAM_ANTHROPIC_BASE_URL": fake_anthropic.base_url,
        "LEARNSTREAM_ANTHROPIC_TIMEOUT": "3",  # a model call of a loaded test machine ends well within it
        "LEARNSTREAM_GENERATION_RETRY_SECONDS": "0.1",
        "LEARNSTREAM_GENERATION_POLL_SECONDS": "0.1",
    }


def _run(api, client, body=None):
    admin = api.admin()
    accepted = submit(client, admin, body)
    assert accepted.status_code == 202, accepted.text
    return wait_for_job(client, accepted.json()["pollUrl"], admin, timeout=90)


def test_a_job_is_written_by_the_model_with_a_cached_system_prompt(api, client, fake_anthropic):
    job = _run(api, client)
    assert job["status"] == "completed", job
    assert job["generator"] == "anthropic:claude-sonnet-4-5"
    assert fake_anthropic.calls("write_outline") == 1
    assert fake_anthropic.calls("write_chapter") == len(SEED_EXAMPLE["outline"])
    assert fake_anthropic.calls("write_assessment") == 1
    request = fake_anthropic.messages_requests()[0].body
    assert request["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert request["tool_choice"] == {"type": "tool", "name": "write_outline"}


def test_a_refused_key_fails_the_job_at_once(api, client, fake_anthropic):
    fake_anthropic.script(unauthorized())
    job = _run(api, client)
    assert job["status"] == "failed"
    assert job["error"]["code"] == "MODEL_AUTH_FAILED"
    assert job["error"]["message"] == "Your API key is invalid or has been revoked. Please update it in settings."
    assert fake_anthropic.calls() == 1  # not worth a retry
    assert job["course"] is None


def test_429_waits_for_retry_after_then_the_job_completes(api, client, fake_anthropic):
    fake_anthropic.script(rate_limited(retry_after=1))
    started = time.monotonic()
    job = _run(api, client)
    assert job["status"] == "completed", job
    assert fake_anthropic.calls("write_outline") == 2
    assert time.monotonic() - started >= 1.0


@pytest.mark.parametrize("failure", [server_error(), overloaded()], ids=["500", "529"])
def test_a_server_error_is_retried_and_the_job_completes(api, client, fake_anthropic, failure):
    fake_anthropic.script(failure)
    job = _run(api, client)
    assert job["status"] == "completed", job
    assert fake_anthropic.calls("write_outline") == 2
    assert job["attempts"] == 1


def test_an_overloaded_service_fails_the_job_after_three_attempts(api, client, fake_anthropic):
    fake_anthropic.responder = lambda body: overloaded()
    job = _run(api, client)
    assert job["status"] == "failed"
    assert job["error"]["code"] == "MODEL_SERVER_ERROR"
    assert job["attempts"] == 3
    assert fake_anthropic.calls("write_outline") == 9  # 3 calls per attempt, 3 attempts


def test_a_timeout_is_retried(api, client, fake_anthropic):
    fake_anthropic.script(delay(10))
    job = _run(api, client)
    assert job["status"] == "completed", job
    assert fake_anthropic.calls("write_outline") == 2


def test_a_malformed_tool_answer_is_retried_then_the_job_fails(api, client, fake_anthropic):
    fake_anthropic.responder = lambda body: malformed({"name": 42})
    job = _run(api, client)
    assert job["status"] == "failed"
    assert job["error"]["code"] == "MODEL_BAD_OUTPUT"
    assert job["attempts"] == 3
    assert fake_anthropic.calls("write_outline") == 9


class TestTheOrgsOwnKey:
    @pytest.fixture
    def settings_env(self, settings_env):
        return {**settings_env, "LEARNSTREAM_ANTHROPIC_API_KEY": ""}

    def test_without_any_key_the_job_fails_saying_so(self, api, client, fake_anthropic):
        job = _run(api, client)
        assert job["status"] == "failed"
        assert job["error"]["code"] == "MODEL_KEY_MISSING"
        assert "anthropic-key" in job["error"]["message"]
        assert fake_anthropic.calls() == 0

    def test_the_orgs_sealed_key_writes_its_jobs(self, api, client, container, fake_anthropic):
        admin = api.admin()
        org_key = "sk-ant-org-owned-key-42"
        fake_anthropic.api_keys.add(org_key)
        stored = client.put("/api/v1/admin/default/generation/anthropic-key", json={"apiKey": org_key}, headers=admin)
        assert stored.status_code == 200, stored.text
        assert stored.json() == {"apiKeyPreview": "sk-...y-42"}
        assert client.get("/api/v1/admin/default/generation", headers=admin).json()["anthropic_key_preview"] == "sk-...y-42"
        assert org_key not in str([vars(e.event) for e in container.events.read(0, 10_000)])  # never in the log
        job = _run(api, client)
        assert job["status"] == "completed", job
        assert {r.api_key for r in fake_anthropic.messages_requests()} == {org_key}
        assert client.delete("/api/v1/admin/default/generation/anthropic-key", headers=admin).status_code == 204
        assert _run(api, client)["error"]["code"] == "MODEL_KEY_MISSING"


def test_the_events_stream_shows_progress_until_the_course_exists(api, client, fake_anthropic):
    fake_anthropic.latency = 0.5  # each step takes a while: the stream sees the job move
    admin = api.admin()
    accepted = submit(client, admin).json()
    events: list[tuple[str, dict]] = []
    with client.stream("GET", accepted["pollUrl"] + "/events", headers=admin) as stream:
        name = ""
        for line in stream.iter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                events.append((name, json.loads(line.split(":", 1)[1])))
    names = [n for n, _ in events]
    assert names[-1] == "completed" and set(names[:-1]) == {"progress"}
    progress = [e["progress"] for _, e in events]
    assert progress == sorted(progress) and len(set(progress)) >= 4
    assert events[-1][1]["course"]["course_uuid"].startswith("course_")


class TestAHungAttempt:
    @pytest.fixture
    def settings_env(self, settings_env):
        return {
            **settings_env, "LEARNSTREAM_ANTHROPIC_TIMEOUT": "30",
            "LEARNSTREAM_GENERATION_ATTEMPT_TIMEOUT_SECONDS": "6",  # the second attempt, whole, ends within it
        }

    def test_is_stopped_and_the_next_attempt_finishes_the_job(self, api, client, fake_anthropic):
        fake_anthropic.script(delay(30))  # the first outline call hangs well past the attempt timeout
        job = _run(api, client)
        assert job["status"] == "completed", job
        assert job["attempts"] == 2
        assert fake_anthropic.calls("write_outline") == 2

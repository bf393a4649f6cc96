"""With the ``anthropic`` provider, the key-requiring routes refuse a user without a key with the
seed's 400 text; the offline default needs none."""

from __future__ import annotations

import pytest

from tests.api.assessment_support import sign_up, start

NO_KEY = "No API key configured. Please add your Anthropic API key in Settings."


@pytest.fixture
def settings_env(settings_env):
    settings_env["LEARNSTREAM_AI_PROVIDER"] = "anthropic"
    return settings_env


def test_start_respond_and_resume_need_a_key(client, container):
    me = sign_up(client, "nokey@example.com")
    started = client.post("/api/assessment/start", json={"skillIds": ["python"]}, headers=me)
    assert started.status_code == 400 and started.json()["detail"] == NO_KEY

    # A session started while the server ran offline, now on the anthropic provider.
    container.model_keys.provider = "offline"
    session = start(client, me)
    container.model_keys.provider = "anthropic"
    sid = session["sessionId"]
    answered = client.post(f"/api/assessment/{sid}/respond", json={"response": "x"}, headers=me)
    assert answered.status_code == 400 and answered.json()["detail"] == NO_KEY
    resumed = client.get(f"/api/assessment/{sid}/resume", headers=me)
    assert resumed.status_code == 400 and resumed.json()["detail"] == NO_KEY
    # Reading what exists needs no key.
    assert client.get(f"/api/assessment/{sid}/graph", headers=me).status_code == 200
    assert client.get("/api/user/assessments", headers=me).status_code == 200

"""Sessions judged by the model evaluator through the Anthropic adapter, against a local fake
Messages API: the user's own key is used, 401 and 429 (with retryAfter) arrive as the seed's
errors, and 529 is retried."""

from __future__ import annotations

import json

import pytest

from tests.api.assessment_support import events, sign_up
from tests.fakes.fake_anthropic import DEFAULT_KEY, overloaded, prompt_of, status


def answer_model(body):
    if body["tool_choice"]["name"] == "write_question":
        return {"question": f"Model question {prompt_of(body).count('Concept:')}: explain it."}
    return {"confidence": 0.82, "bloom_level": "apply", "covered_key_points": [0, 1],
            "evidence": ["names the trade-off"], "reasoning": "Clear and correct."}


@pytest.fixture
def settings_env(settings_env, fake_anthropic):
    fake_anthropic.responder = answer_model
    settings_env["LEARNSTREAM_AI_PROVIDER"] = "anthropic"
    settings_env["LEARNSTREAM_ANTHROPIC_BASE_URL"] = fake_anthropic.base_url
    return settings_env


@pytest.fixture
def me(client):
    headers = sign_up(client, "byok@example.com")
    assert client.post("/api/auth/api-key", json={"apiKey": DEFAULT_KEY}, headers=headers).status_code == 200
    return headers


def turn(client, me, sid, answer="Because of the trade-off."):
    response = client.post(f"/api/assessment/{sid}/respond", json={"response": answer}, headers=me)
    assert response.status_code == 200, response.text
    return events(response.text)


def test_a_session_runs_on_the_model_with_the_users_key(client, me, fake_anthropic):
    started = client.post("/api/assessment/start", json={"skillIds": ["python"], "thoroughness": "quick"}, headers=me)
    assert started.status_code == 200, started.text
    session = started.json()
    assert session["question"].startswith("Model question")
    got = turn(client, me, session["sessionId"])
    assert got[0].startswith("Model question") and got[-1] == "[DONE]"
    assert fake_anthropic.calls("judge_answer") == 1
    assert {r.api_key for r in fake_anthropic.messages_requests()} == {DEFAULT_KEY}
    judged = fake_anthropic.messages_requests()[-2]
    assert judged.tool_name == "judge_answer" and "Because of the trade-off." in prompt_of(judged.body)
    nodes = client.get(f"/api/assessment/{session['sessionId']}/graph", headers=me).json()["nodes"]
    assert any(n["confidence"] == 0.82 and n["bloomLevel"] == "apply" for n in nodes)


def test_401_and_429_arrive_as_error_frames_and_nothing_is_recorded(client, me, fake_anthropic):
    session = client.post("/api/assessment/start", json={"skillIds": ["python"]}, headers=me).json()
    sid = session["sessionId"]
    fake_anthropic.script(status(401))
    got = turn(client, me, sid)
    assert got == ['[ERROR]{"status":401,"detail":"Your API key is invalid or has been revoked.'
                   ' Please update it in settings.","retryAfter":null}']
    fake_anthropic.script(status(429, headers={"retry-after": "45"}))
    error = json.loads(turn(client, me, sid)[0][len("[ERROR]"):])
    assert error == {"status": 429, "detail": "Rate limit reached. Please wait a moment and try again.",
                     "retryAfter": "45"}
    assert client.get(f"/api/assessment/{sid}/resume", headers=me).json()["question"] == session["question"]
    assert turn(client, me, sid)[-1] == "[DONE]"  # the same question, answered once it works


def test_529_is_retried_and_the_turn_succeeds(client, me, fake_anthropic):
    sid = client.post("/api/assessment/start", json={"skillIds": ["python"]}, headers=me).json()["sessionId"]
    before = fake_anthropic.calls("judge_answer")
    fake_anthropic.script(overloaded())
    assert turn(client, me, sid)[-1] == "[DONE]"
    assert fake_anthropic.calls("judge_answer") - before == 2


def test_start_maps_a_refused_key_to_the_seeds_401(client, me, fake_anthropic):
    fake_anthropic.revoke(DEFAULT_KEY)
    refused = client.post("/api/assessment/start", json={"skillIds": ["python"]}, headers=me)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "Your API key is invalid or has been revoked. Please update it in settings."

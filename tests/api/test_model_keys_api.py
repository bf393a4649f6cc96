"""BYOK (seed 002 ``/api/auth/api-key``, ``/api/auth/validate-key``): the key is sealed outside
the log, the log and every response hold only its preview, deleting it really deletes it, and
validation makes a real call through the Anthropic adapter (a local fake Messages API)."""

from __future__ import annotations

import logging

import pytest

from tests.api.assessment_support import sign_up
from tests.fakes.fake_anthropic import DEFAULT_KEY, rate_limited

KEY = "sk-ant-api03-" + "x" * 80 + "ab12"


@pytest.fixture
def settings_env(settings_env, fake_anthropic):
    settings_env["LEARNSTREAM_ANTHROPIC_BASE_URL"] = fake_anthropic.base_url
    settings_env["LEARNSTREAM_ANTHROPIC_MAX_ATTEMPTS"] = "1"
    return settings_env


def all_event_bytes(container) -> bytes:
    return b"".join(n.state for n in container.events.read_raw(0, 100_000))


def test_store_preview_me_and_delete_idempotently(client, container, caplog):
    caplog.set_level(logging.DEBUG)
    me = sign_up(client, "keys@example.com")
    assert client.get("/api/auth/api-key", headers=me).status_code == 204
    assert client.get("/api/auth/me", headers=me).json()["hasApiKey"] is False

    stored = client.post("/api/auth/api-key", json={"apiKey": KEY}, headers=me)
    assert stored.status_code == 200 and stored.json() == {"ok": True}
    preview = client.get("/api/auth/api-key", headers=me)
    assert preview.status_code == 200 and preview.json() == {"apiKeyPreview": "sk-...ab12"}
    assert client.get("/api/auth/me", headers=me).json()["hasApiKey"] is True

    log = all_event_bytes(container)
    assert b"sk-...ab12" in log and KEY.encode() not in log and KEY[10:40].encode() not in log
    assert KEY not in caplog.text

    for _ in range(2):
        removed = client.delete("/api/auth/api-key", headers=me)
        assert removed.status_code == 200 and removed.json() == {"ok": True}
    assert client.get("/api/auth/api-key", headers=me).status_code == 204
    assert client.get("/api/auth/me", headers=me).json()["hasApiKey"] is False
    user_id = client.get("/api/auth/me", headers=me).json()["userId"]
    assert container.model_keys.key_for(user_id) is None  # the sealed row is gone
    names = [type(container.events.decode(n)).__name__ for n in container.events.read_raw(0, 100_000)]
    assert names.count("ModelKeyStored") == 1 and names.count("ModelKeyRemoved") == 1


def test_keys_are_per_user_and_need_a_session(client):
    alice, bob = sign_up(client, "alice@example.com"), sign_up(client, "bob@example.com")
    client.post("/api/auth/api-key", json={"apiKey": KEY}, headers=alice)
    assert client.get("/api/auth/api-key", headers=bob).status_code == 204
    assert client.get("/api/auth/api-key").status_code == 401
    assert client.post("/api/auth/api-key", json={"apiKey": KEY}).status_code == 401
    assert client.post("/api/auth/api-key", json={"apiKey": "short"}, headers=alice).status_code == 422


def test_validate_key_calls_the_api_and_maps_401_and_429(client, fake_anthropic):
    me = sign_up(client, "validate@example.com")
    ok = client.post("/api/auth/validate-key", json={"apiKey": DEFAULT_KEY}, headers=me)
    assert ok.json() == {"valid": True, "error": None}
    assert fake_anthropic.requests[-1].api_key == DEFAULT_KEY

    bad = client.post("/api/auth/validate-key", json={"apiKey": KEY}, headers=me)
    assert bad.json() == {"valid": False, "error": "Invalid API key"}

    fake_anthropic.script(rate_limited(30))
    limited = client.post("/api/auth/validate-key", json={"apiKey": DEFAULT_KEY}, headers=me)
    assert limited.json() == {"valid": False, "error": "Rate limited — key may be valid"}
    assert client.get("/api/auth/api-key", headers=me).status_code == 204  # nothing stored

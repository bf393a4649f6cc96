"""The delivery log keeps each endpoint's newest attempts (``webhooks_attempt_log``), trimmed in
steps of a tenth, and endpoint health follows the latest outcome of each batch."""

from __future__ import annotations

from typing import Any

import pytest

from infrastructure.webhooks.outbox import Claimed, Outbox
from infrastructure.webhooks.sender import SendResult
from tests.integration.webhook_support import loopback_env


@pytest.fixture(autouse=True)
def _env(settings_env: dict[str, str]) -> None:
    loopback_env(settings_env, worker=False)


def _claimed(endpoint: str, n: int) -> Claimed:
    return Claimed(f"dlv_{endpoint}_{n}", endpoint, "org", "http://127.0.0.1/x", "ping", "{}",
                   0, False, "", "", "")


def _attempt_ids(outbox: Outbox, endpoint: str) -> list[str]:
    rows = outbox.store.fetchall(
        f"SELECT attempt_id FROM {outbox.t['attempts']} WHERE endpoint_uuid = ? ORDER BY attempt_id",
        (endpoint,),
    )
    return [r["attempt_id"] for r in rows]


def test_each_endpoint_keeps_its_newest_attempts(container: Any) -> None:
    from api.wiring import build_outbox

    outbox = build_outbox(container.read_models.webhooks, container.settings)
    outbox.keep_attempts = 20
    ok = SendResult(True, 200, "{}", "", 1)
    logged: list[str] = []
    for batch in range(9):  # 9 batches of 7 attempts for "a", one attempt for "b" each
        results = [(_claimed("a", batch * 7 + i), ok) for i in range(7)] + [(_claimed("b", batch), ok)]
        outbox.record(results, now_ms=1_700_000_000_000 + batch)
        logged = _attempt_ids(outbox, "a")
    assert 20 <= len(logged) <= 20 + 20 // 10 + 7  # trimmed to 20 every 2 attempts: at most a batch over
    newest = sorted(logged)[-20:]
    assert newest == logged[-20:]  # what was dropped is the oldest
    assert len(_attempt_ids(outbox, "b")) == 9  # another endpoint's log is its own


def test_health_follows_the_latest_outcome_of_a_batch(container: Any) -> None:
    from api.wiring import build_outbox

    outbox = build_outbox(container.read_models.webhooks, container.settings)
    ok, failed = SendResult(True, 200, "", "", 1), SendResult(False, 500, "", "HTTP 500", 1)

    def failing_since(endpoint: str) -> Any:
        row = outbox.store.fetchone(
            f"SELECT failing_since_ms FROM {outbox.t['health']} WHERE endpoint_uuid = ?", (endpoint,)
        )
        return row["failing_since_ms"]

    outbox.record([(_claimed("e", 1), failed), (_claimed("e", 2), failed)], now_ms=1000)
    assert failing_since("e") == 1000
    outbox.record([(_claimed("e", 3), failed)], now_ms=2000)
    assert failing_since("e") == 1000  # still the same streak
    outbox.record([(_claimed("e", 4), ok), (_claimed("e", 5), failed)], now_ms=3000)
    assert failing_since("e") == 3000  # a success ended the old streak; a new one began
    outbox.record([(_claimed("e", 6), failed), (_claimed("e", 7), ok)], now_ms=4000)
    assert failing_since("e") is None

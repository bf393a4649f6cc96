"""Fixtures shared by the webhook integration tests: a fake clock and a worker driven by it."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest


class FakeClock:
    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def loopback_env(settings_env: dict[str, str], worker: bool = True) -> None:
    settings_env["LEARNSTREAM_WEBHOOKS_ALLOW_PRIVATE"] = "1"
    settings_env["LEARNSTREAM_WEBHOOKS_POLL_SECONDS"] = "0.05"
    if not worker:
        settings_env["LEARNSTREAM_WEBHOOKS_WORKER"] = "0"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def clocked_worker(container: Any, clock: FakeClock) -> Iterator[Any]:
    """A delivery worker on the fake clock (the container's own worker is switched off)."""
    from api.wiring import build_outbox, build_webhook_worker

    assert container.webhook_worker is None
    outbox = build_outbox(container.read_models.webhooks, container.settings, random.Random(7))
    worker = build_webhook_worker(container, clock=clock, outbox=outbox,
                          poll_seconds=0.05)
    worker.start()
    yield worker
    worker.stop()


def wait_until(predicate: Any, timeout: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def create_hook(api: Any, headers: dict[str, str], url: str, events: list[str], org: int | str = 1) -> dict[str, Any]:
    response = api.client.post(
        f"/api/v1/orgs/{org}/webhooks/", json={"url": url, "events": events}, headers=headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def delivery_rows(container: Any, webhook_uuid: str) -> list[dict[str, Any]]:
    outbox = container.webhook_outbox
    return list(outbox.store.fetchall(
        f"SELECT * FROM {outbox.t['deliveries']} WHERE endpoint_uuid = ? ORDER BY position",
        (webhook_uuid.removeprefix("webhook_"),),
    ))

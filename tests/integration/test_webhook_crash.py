"""SIGKILL the delivery worker process mid-delivery, restart it: every event is delivered at
least once, none is skipped, and a duplicate carries the same delivery id (and body)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.webhook_receiver import Receiver
from tests.integration.webhook_support import create_hook, loopback_env, wait_until

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _env(settings_env: dict[str, str]) -> None:
    loopback_env(settings_env, worker=False)  # this process only writes; the subprocess delivers


class WorkerProcess:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("LEARNSTREAM_")}
        self.env.update(env)
        self.env.update({
            "LEARNSTREAM_WEBHOOKS_WORKER": "1",
            "LEARNSTREAM_WEBHOOKS_LEASE_SECONDS": "1",
        })
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "worker"], cwd=ROOT, env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=20)


@pytest.fixture
def worker(settings_env: dict[str, str]) -> Iterator[WorkerProcess]:
    process = WorkerProcess(settings_env)
    yield process
    process.kill(signal.SIGTERM)


def test_sigkill_mid_delivery_then_restart_delivers_everything(api: Any, worker: WorkerProcess) -> None:
    admin = api.admin()
    receiver = Receiver(delay=0.1)  # slow enough that SIGKILL lands with requests in flight
    try:
        hook = create_hook(api, admin, receiver.url, ["course_created"])
        receiver.secrets = [hook["secret"]]
        courses = [api.create_course(admin, name=f"Before {n}")["course_uuid"] for n in range(40)]
        worker.start()
        receiver.wait_for(8, timeout=60)
        worker.kill(signal.SIGKILL)
        killed_at = len(receiver.received)
        courses += [api.create_course(admin, name=f"While down {n}")["course_uuid"] for n in range(10)]
        worker.start()

        def delivered() -> set[str]:
            return {r.body["data"]["course"]["course_uuid"] for r in list(receiver.received)}

        wait_until(lambda: delivered() >= set(courses), timeout=90, what="every course delivered")
        assert killed_at < len(courses)
        print(f"received {len(receiver.received)} deliveries for {len(courses)} events (killed after {killed_at})")
        by_course: dict[str, set[str]] = defaultdict(set)
        bodies: dict[str, set[bytes]] = defaultdict(set)
        for item in list(receiver.received):
            by_course[item.body["data"]["course"]["course_uuid"]].add(item.body["delivery_id"])
            bodies[item.body["delivery_id"]].add(item.raw)
            assert item.standard_ok[hook["secret"]] and item.sha256_ok[hook["secret"]]
        assert set(by_course) == set(courses)  # none skipped, nothing foreign
        assert all(len(ids) == 1 for ids in by_course.values())  # a retry reuses the id
        assert all(len(raw) == 1 for raw in bodies.values())  # ... and the exact body
    finally:
        receiver.close()

"""Shared by the benchmarks that drive a real ``learnstream serve`` process."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable

import httpx


def wait_until_healthy(
    proc: subprocess.Popen[bytes], base: str, log_tail: Callable[[], str], seconds: float = 90
) -> None:
    """Poll ``/api/health`` until 200; fail with the server's log if it dies or times out."""
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            raise RuntimeError(log_tail()[-3000:])
        try:
            if httpx.get(base + "/api/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("server did not become healthy")
        time.sleep(0.2)


def terminate(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()

"""Real ``learnstream`` processes for end-to-end tests: start, wait until healthy, kill.

Imported as ``tests.e2e.server_process``.
Output goes to a log file, not a pipe, so a chatty process can never block on a full pipe.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin-password-1"
# Generous: several sessions share two cores, and a cold start imports a lot.
START_TIMEOUT = 90.0


def learnstream_command() -> list[str]:
    """The installed console script when there is one, else the module."""
    script = Path(sys.executable).parent / "learnstream"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "api.cli"]


def clean_environ(extra: Mapping[str, str]) -> dict[str, str]:
    """The parent's environment without any LEARNSTREAM_* leaking in, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEARNSTREAM_")}
    env["PYTHONUNBUFFERED"] = "1"
    env["LEARNSTREAM_ARGON2_PROFILE"] = "test"
    env.update(extra)
    return env


class LearnstreamProcess:
    """One ``learnstream <command>`` child process with its output in ``log_path``."""

    def __init__(
        self, args: Sequence[str], env: Mapping[str, str], log_path: Path, port: int | None = None
    ) -> None:
        self.args = list(args)
        self.env = clean_environ(env)
        self.log_path = log_path
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LearnstreamProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                learnstream_command() + self.args,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        return self

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_healthy(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"learnstream exited early:\n{self.output()[-4000:]}")
            try:
                response = httpx.get(self.base_url + "/api/health", timeout=5)
                if response.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"learnstream not healthy after {timeout}s:\n{self.output()[-4000:]}")

    def wait_for_output(self, text: str, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if not self.alive():
                raise RuntimeError(f"learnstream exited early:\n{self.output()[-4000:]}")
            time.sleep(0.2)
        raise TimeoutError(f"{text!r} not printed after {timeout}s:\n{self.output()[-4000:]}")

    def children(self) -> list[int]:
        """The process ids of its children (``serve``'s generation worker), from /proc."""
        if self.proc is None:
            return []
        found: list[int] = []
        for task in Path(f"/proc/{self.proc.pid}/task").glob("*"):
            try:
                found += [int(pid) for pid in (task / "children").read_text().split()]
            except OSError:
                continue
        return found

    def kill(self) -> None:
        """SIGKILL, its children first: no shutdown hook, no flush, nothing graceful."""
        if self.proc is not None and self.proc.poll() is None:
            for child in self.children():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def kill_alone(self) -> None:
        """SIGKILL to this process only, as a crash would: its children are left to notice."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def __enter__(self) -> LearnstreamProcess:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def serve(env: Mapping[str, str], log_path: Path, port: int) -> LearnstreamProcess:
    """Start ``learnstream serve`` on a loopback port and wait for ``/api/health``."""
    process = LearnstreamProcess(
        ["serve", "--host", "127.0.0.1", "--port", str(port)], env, log_path, port
    ).start()
    try:
        process.wait_healthy()
    except BaseException:
        process.kill()
        raise
    return process


def run_cli(
    args: Sequence[str], env: Mapping[str, str], timeout: float = 180.0
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        learnstream_command() + list(args),
        env=clean_environ(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# -- the seed 000 walkthrough, over real HTTP ----------------------------------------------
def login(client: httpx.Client, email: str, password: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['tokens']['access_token']}"}


def course_form(name: str, public: bool = True) -> dict[str, tuple[None, str]]:
    """Multipart fields exactly as ``curl -F`` sends them."""
    form = {
        "name": name,
        "description": "A beginner-friendly Python course",
        "about": "Learn Python from scratch.",
        "public": "true" if public else "false",
    }
    return {key: (None, value) for key, value in form.items()}


def list_all_courses(
    client: httpx.Client, headers: dict[str, str], slug: str = "default"
) -> list[dict[str, Any]]:
    """Every course of an org, page by page (the page size is capped by the server)."""
    courses: list[dict[str, Any]] = []
    page = 1
    while True:
        url = f"/api/v1/courses/org_slug/{slug}/page/{page}/limit/100"
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        batch = response.json()
        courses.extend(batch)
        if len(batch) < 100:
            return courses
        page += 1

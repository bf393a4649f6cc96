"""``serve`` runs the generation worker in a child process, started by the first job: jobs
queued through the API run there, a child that dies is replaced, and a server killed with -9
leaves no worker behind."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, free_port
from tests.e2e.server_process import LearnstreamProcess, login, serve

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its parent's wait is missing


def _one_child(server: LearnstreamProcess, timeout: float = 60, other_than: int | None = None) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = [pid for pid in server.children() if pid != other_than and _alive(pid)]
        if len(children) == 1:
            return children[0]
        time.sleep(0.1)
    raise AssertionError(f"no generation process: {server.children()}\n{server.output()[-3000:]}")


def _generate(client: httpx.Client, admin: dict[str, str], subject: str) -> dict:
    accepted = client.post("/api/v1/courses", json={"subject": subject, "format": "classic", "outline": ["One", "Two"]}, headers=admin)
    assert accepted.status_code == 202, accepted.text
    deadline = time.monotonic() + 60
    while (job := client.get(accepted.json()["pollUrl"], headers=admin).json())["status"] not in ("completed", "failed"):
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    return job


def test_jobs_run_in_a_child_that_is_replaced_when_it_dies_and_goes_with_the_server(tmp_path: Path) -> None:
    env = {
        "LEARNSTREAM_DATA_DIR": str(tmp_path / "var"),
        "LEARNSTREAM_ADMIN_EMAIL": ADMIN_EMAIL,
        "LEARNSTREAM_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "LEARNSTREAM_AI_PROVIDER": "offline",
    }
    server = serve(env, tmp_path / "serve.log", free_port())
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            admin = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
            assert client.get("/api/v1/courses/jobs", headers=admin).json()["total"] == 0
            assert server.children() == []  # no work yet: no process spent on it
            job = _generate(client, admin, "Knots")
            first = _one_child(server)
            assert job["status"] == "completed", job
            meta = client.get(f"/api/v1/courses/{job['course']['course_uuid']}/meta", headers=admin)
            assert [c["name"] for c in meta.json()["chapters"]] == ["One", "Two"]

            os.kill(first, signal.SIGKILL)
            second = _one_child(server, other_than=first)
            assert _generate(client, admin, "Sailing")["status"] == "completed"
            assert server.alive()
    finally:
        server.kill_alone()
    deadline = time.monotonic() + 30
    while _alive(second) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(second), "the generation process outlived its server"

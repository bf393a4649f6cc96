"""Kill -9 the server while a generation job is half done: after a restart the job finishes,
and the fake Messages API's request log shows that no finished step was asked for twice."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, free_port
from tests.e2e.held_chapter import chapter_calls, holding_the_third_chapter
from tests.e2e.server_process import login, serve
from tests.fakes.fake_anthropic import FakeAnthropic

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
OUTLINE = ["Hazards", "PPE", "Emergency procedures"]


@pytest.fixture
def fake() -> Iterator[tuple[FakeAnthropic, threading.Event]]:
    """Answers like the offline writer, but holds the third chapter until ``release`` is set."""
    with holding_the_third_chapter() as held:
        yield held


@pytest.mark.parametrize("checkpoint", ["kept", "lost"])
def test_a_killed_worker_resumes_the_job_from_its_last_finished_step(tmp_path: Path, fake, checkpoint):
    """With its checkpoint the graph resumes where it stopped; without it (a lost cache) the
    finished steps come back from the log: either way no model call is repeated."""
    server, release = fake
    env = {
        "LEARNSTREAM_DATA_DIR": str(tmp_path / "var"),
        "LEARNSTREAM_ADMIN_EMAIL": ADMIN_EMAIL,
        "LEARNSTREAM_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "LEARNSTREAM_JWT_SECRET": "kill-test-" + uuid.uuid4().hex,
        "LEARNSTREAM_AI_PROVIDER": "anthropic",
        "LEARNSTREAM_ANTHROPIC_API_KEY": server.api_key,
        "LEARNSTREAM_ANTHROPIC_BASE_URL": server.base_url,
        "LEARNSTREAM_ANTHROPIC_TIMEOUT": "60",
        "LEARNSTREAM_GENERATION_LEASE_SECONDS": "3",
        "LEARNSTREAM_GENERATION_POLL_SECONDS": "0.2",
    }
    port = free_port()
    first = serve(env, tmp_path / "first.log", port)
    with httpx.Client(base_url=first.base_url, timeout=30) as client:
        admin = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
        body = {"subject": "Workplace safety basics", "format": "classic", "outline": OUTLINE, "addOns": ["assessment"]}
        accepted = client.post("/api/v1/courses", json=body, headers=admin).json()
        # Two chapters are written (and recorded: progress moved twice), the third is in flight.
        deadline = time.monotonic() + 60
        while client.get(accepted["pollUrl"], headers=admin).json()["progress"] < 50:
            assert time.monotonic() < deadline, first.output()[-3000:]
            time.sleep(0.1)
    assert chapter_calls(server) == Counter({0: 1, 1: 1, 2: 1})
    first.kill()
    release.set()
    if checkpoint == "lost":
        for path in (tmp_path / "var").glob("generation_checkpoints.sqlite3*"):
            path.unlink()

    second = serve(env, tmp_path / "second.log", port)
    with second, httpx.Client(base_url=second.base_url, timeout=30) as client:
        admin = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
        deadline = time.monotonic() + 90
        while (job := client.get(accepted["pollUrl"], headers=admin).json())["status"] not in ("completed", "failed"):
            assert time.monotonic() < deadline, second.output()[-3000:]
            time.sleep(0.2)
        assert job["status"] == "completed", job
        assert job["attempts"] == 2
        chapters = client.get(f"/api/v1/courses/{job['course']['course_uuid']}/meta", headers=admin).json()["chapters"]
        assert [c["name"] for c in chapters] == OUTLINE
    # Finished steps were never asked again; only the chapter in flight at the kill was.
    assert server.calls("write_outline") == 1
    assert chapter_calls(server) == Counter({0: 1, 1: 1, 2: 2})
    assert server.calls("write_assessment") == 1

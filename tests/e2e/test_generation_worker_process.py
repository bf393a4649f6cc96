"""PostgreSQL production shape for generation: an API process that follows nothing queues the
job, a separate ``learnstream worker`` runs it. Kill -9 that worker half way: a new worker
finishes the job from the PostgreSQL checkpoint and the log, and the fake Messages API's
request log shows that no finished step was asked for twice."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from infrastructure.settings import PostgresDsn
from tests.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    PG_URL,
    drop_schema,
    free_port,
    postgres_url_with_schema,
    require_service,
)
from tests.e2e.held_chapter import chapter_calls, holding_the_third_chapter
from tests.e2e.server_process import LearnstreamProcess, login, serve
from tests.fakes.fake_anthropic import FakeAnthropic

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(300)]
OUTLINE = ["Hazards", "PPE", "Emergency procedures"]


@pytest.fixture
def fake() -> Iterator[tuple[FakeAnthropic, threading.Event]]:
    """Answers like the offline writer, but holds the third chapter until ``release`` is set."""
    with holding_the_third_chapter() as held:
        yield held



@pytest.fixture
def pg_env(tmp_path: Path, fake) -> Iterator[dict[str, str]]:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    server, _ = fake
    schema = "gw_" + uuid.uuid4().hex[:12]
    yield {
        "LEARNSTREAM_DATA_DIR": str(tmp_path / "var"),
        "LEARNSTREAM_DATABASE_URL": postgres_url_with_schema(schema),
        "LEARNSTREAM_ADMIN_EMAIL": ADMIN_EMAIL,
        "LEARNSTREAM_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "LEARNSTREAM_JWT_SECRET": "gen-worker-" + uuid.uuid4().hex,
        "LEARNSTREAM_AI_PROVIDER": "anthropic",
        "LEARNSTREAM_ANTHROPIC_API_KEY": server.api_key,
        "LEARNSTREAM_ANTHROPIC_BASE_URL": server.base_url,
        "LEARNSTREAM_ANTHROPIC_TIMEOUT": "60",
        "LEARNSTREAM_GENERATION_LEASE_SECONDS": "3",
        "LEARNSTREAM_GENERATION_POLL_SECONDS": "0.2",
    }
    drop_schema(schema)


def _start_worker(env: dict[str, str], log: Path) -> LearnstreamProcess:
    worker = LearnstreamProcess(["worker"], env, log).start()
    worker.wait_for_output("learnstream worker: following the event log")
    return worker


def _checkpointed_threads(env: dict[str, str]) -> set[str]:
    """The jobs with a LangGraph checkpoint in the event log's PostgreSQL schema."""
    schema = PostgresDsn.parse(env["LEARNSTREAM_DATABASE_URL"]).schema
    with psycopg.connect(PostgresDsn.parse(PG_URL).conninfo(), autocommit=True) as conn:
        rows = conn.execute(f'SELECT DISTINCT thread_id FROM "{schema}".checkpoints').fetchall()
    return {str(row[0]) for row in rows}


def _wait_for(client: httpx.Client, url: str, headers: dict[str, str], done, logs, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while not done(job := client.get(url, headers=headers).json()):
        assert time.monotonic() < deadline, (job, logs()[-4000:])
        time.sleep(0.1)
    return dict(job)


def test_a_job_queued_by_the_api_runs_in_learnstream_worker_and_survives_its_kill(pg_env, fake, tmp_path):
    server, release = fake
    worker = _start_worker(pg_env, tmp_path / "worker1.log")
    api_env = {**pg_env, "LEARNSTREAM_RUN_FOLLOWERS": "0"}
    try:
        with serve(api_env, tmp_path / "serve.log", free_port()) as api, httpx.Client(
            base_url=api.base_url, timeout=60
        ) as client:
            admin = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
            body = {"subject": "Workplace safety basics", "format": "classic", "outline": OUTLINE, "addOns": ["assessment"]}
            accepted = client.post("/api/v1/courses", json=body, headers=admin)
            assert accepted.status_code == 202, accepted.text
            poll = accepted.json()["pollUrl"]
            job_uuid = accepted.json()["jobId"].removeprefix("job_")

            # The worker process (not the API, which follows nothing) writes two chapters;
            # the third is in flight.
            _wait_for(client, poll, admin, lambda j: j["progress"] >= 50, worker.output)
            assert chapter_calls(server) == Counter({0: 1, 1: 1, 2: 1})
            assert job_uuid in _checkpointed_threads(pg_env)  # PostgreSQL holds its checkpoint
            worker.kill()
            release.set()

            worker = _start_worker(pg_env, tmp_path / "worker2.log")
            job = _wait_for(client, poll, admin, lambda j: j["status"] in ("completed", "failed"), worker.output)
            assert job["status"] == "completed", job
            assert job["attempts"] == 2 and job["generator"] == "anthropic:claude-sonnet-4-5"
            course = client.get(f"/api/v1/courses/{job['course']['course_uuid']}/meta", headers=admin)
            assert course.status_code == 200, course.text
            assert [c["name"] for c in course.json()["chapters"]] == OUTLINE
    finally:
        worker.stop()
    # Finished steps were never asked again; only the chapter in flight at the kill was.
    assert server.calls("write_outline") == 1
    assert chapter_calls(server) == Counter({0: 1, 1: 1, 2: 2})
    assert server.calls("write_assessment") == 1
    assert job_uuid not in _checkpointed_threads(pg_env)  # a finished job's checkpoint is gone

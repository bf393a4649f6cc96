"""The generation queue on SQLite and PostgreSQL: racing workers never claim one job twice, a
dead worker's lease runs out and the job is taken over, and a job whose workers keep dying
fails after its attempts instead of staying ``running`` forever."""

from __future__ import annotations

import threading
import time
from uuid import UUID

import pytest

from api.wiring.generation import build_generation_worker
from domain.generation_jobs import GenerationJob
from tests.api.generation_support import submit, wait_for_job


@pytest.fixture
def settings_env(settings_env):
    return {**settings_env, "LEARNSTREAM_GENERATION_WORKER": "0", "LEARNSTREAM_GENERATION_POLL_SECONDS": "0.1"}


def _queue_jobs(api, client, count):
    """Submitted, and in the queue: the 202 comes before the jobs read model has the job."""
    admin = api.admin()
    jobs = [submit(client, admin, {"subject": f"Job {i}"}).json() for i in range(count)]
    assert client.get("/api/v1/courses/jobs", headers=admin).json()["total"] == count
    return admin, jobs


def test_racing_workers_never_claim_the_same_job(api, client, container):
    _, jobs = _queue_jobs(api, client, 12)
    queue = container.generation_queue
    claims: dict[str, list[str]] = {"a": [], "b": []}
    start = threading.Barrier(2)

    def claimer(name: str) -> None:
        start.wait()
        for _ in range(12):
            claims[name] += queue.claim(name, int(time.time() * 1000), 2, 60_000)

    threads = [threading.Thread(target=claimer, args=(n,)) for n in claims]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not set(claims["a"]) & set(claims["b"])
    assert sorted(claims["a"] + claims["b"]) == sorted(j["jobId"].removeprefix("job_") for j in jobs)


def test_a_dead_workers_lease_runs_out_and_another_takes_the_job(api, client, container):
    _queue_jobs(api, client, 1)
    queue = container.generation_queue
    now = int(time.time() * 1000)
    [job] = queue.claim("dead", now, 5, 200)
    assert queue.claim("alive", now + 100, 5, 60_000) == []
    assert queue.claim("alive", now + 250, 5, 60_000) == [job]


def test_a_job_whose_workers_keep_dying_fails_after_its_attempts(api, client, container):
    admin, [accepted] = _queue_jobs(api, client, 1)
    job_id = UUID(accepted["jobId"].removeprefix("job_"))
    for attempt in range(3):  # three workers started it and died
        job = container.events.get(job_id, GenerationJob)
        job.start(f"dead-{attempt}", "offline:deterministic-v1", 3)
        container.events.save(job)
    live = build_generation_worker(container)
    live.start()
    try:
        done = wait_for_job(client, accepted["pollUrl"], admin)
    finally:
        live.stop()
    assert done["status"] == "failed"
    assert done["error"]["code"] == "ATTEMPTS_EXHAUSTED"
    assert done["attempts"] == 3
    assert client.get("/api/v1/admin/default/generation", headers=admin).json()["credits_used"] == 0

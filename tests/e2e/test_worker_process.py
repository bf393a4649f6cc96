"""PostgreSQL production shape: an API process without followers plus a ``learnstream worker``.

The API's write path then waits by polling the tracking table until the worker's projections
include the write, so create → get still reads its own write.
"""

from __future__ import annotations

import time
import uuid
import zlib
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
from tests.e2e.server_process import LearnstreamProcess, course_form, login, serve

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(300)]

@pytest.fixture
def pg_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    schema = "wk_" + uuid.uuid4().hex[:12]
    yield {
        "LEARNSTREAM_DATA_DIR": str(tmp_path / "var"),
        "LEARNSTREAM_DATABASE_URL": postgres_url_with_schema(schema),
        "LEARNSTREAM_ADMIN_EMAIL": ADMIN_EMAIL,
        "LEARNSTREAM_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "LEARNSTREAM_JWT_SECRET": "worker-test-" + uuid.uuid4().hex,
    }
    drop_schema(schema)


@pytest.fixture(scope="module")
def projections(tmp_path_factory: pytest.TempPathFactory) -> frozenset[str]:
    """The name of every projection the container follows (each has its own advisory lock),
    read from a container on a throwaway SQLite store so the schema under test stays fresh."""
    from api.bootstrap import Container
    from infrastructure.settings import Settings

    data_dir = tmp_path_factory.mktemp("names") / "var"
    container = Container.build(Settings.from_env({"LEARNSTREAM_DATA_DIR": str(data_dir)}))
    try:
        names = frozenset(p.name for p in container.projections.values())
    finally:
        container.close()
    assert len(names) == len(container.projections)
    return names


def held_projection_locks(schema: str, names: frozenset[str]) -> frozenset[str]:
    """Which of this schema's projections have their advisory lock held by some session."""
    by_key = {zlib.crc32(f"{schema}:{name}".encode()): name for name in names}
    with psycopg.connect(PostgresDsn.parse(PG_URL).conninfo(), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = 0 AND objid::bigint = ANY(%s)",
            (list(by_key),),
        ).fetchall()
    return frozenset(by_key[int(row[0])] for row in rows)


def wait_until(condition, timeout: float = 60.0, what=None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"condition not reached in time ({what() if what else ''})"
        time.sleep(0.1)


def start_worker(env: dict[str, str], log: Path) -> LearnstreamProcess:
    worker = LearnstreamProcess(["worker"], env, log).start()
    worker.wait_for_output("learnstream worker: following the event log")
    return worker


def test_api_without_followers_plus_worker_reads_its_writes(pg_env, tmp_path, projections):
    schema = PostgresDsn.parse(pg_env["LEARNSTREAM_DATABASE_URL"]).schema
    worker = start_worker(pg_env, tmp_path / "worker.log")
    api_env = {**pg_env, "LEARNSTREAM_RUN_FOLLOWERS": "0"}
    try:
        with serve(api_env, tmp_path / "serve.log", free_port()) as server, httpx.Client(
            base_url=server.base_url, timeout=60
        ) as http:
            def held() -> frozenset[str]:
                return held_projection_locks(schema, projections)

            # The worker holds every projection's lock; the API process follows nothing.
            wait_until(lambda: held() == projections, what=lambda: f"held {sorted(held())}")

            admin = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
            for i in range(10):
                created = http.post(
                    "/api/v1/courses/?org_id=1", files=course_form(f"Worker {i}"), headers=admin
                )
                assert created.status_code == 200, created.text
                course_uuid = created.json()["course_uuid"]
                got = http.get(f"/api/v1/courses/{course_uuid}", headers=admin)
                assert got.status_code == 200, got.text
                count = http.get("/api/v1/courses/org_slug/default/count", headers=admin)
                assert count.json() == i + 1

            listed = http.get("/api/v1/courses/org_slug/default/page/1/limit/20", headers=admin)
            assert sorted(c["name"] for c in listed.json()) == sorted(
                f"Worker {i}" for i in range(10)
            )

            # Stop the worker: nobody takes the projections over, the API still does not follow.
            worker.stop()
            wait_until(lambda: held() == frozenset(), what=lambda: f"held {sorted(held())}")
            time.sleep(3)  # longer than a follower loop's idle wait
            assert held() == frozenset()
            assert server.alive()

            # A new worker picks up where the old one stopped.
            worker = start_worker(pg_env, tmp_path / "worker2.log")
            created = http.post(
                "/api/v1/courses/?org_id=1", files=course_form("After restart"), headers=admin
            )
            assert created.status_code == 200, created.text
            got = http.get(f"/api/v1/courses/{created.json()['course_uuid']}", headers=admin)
            assert got.status_code == 200
    finally:
        worker.stop()


def test_api_started_before_any_worker_waits_for_one(pg_env, tmp_path):
    """compose starts api and worker together: an API first on a fresh store must not crash."""
    port = free_port()
    api = LearnstreamProcess(
        ["serve", "--host", "127.0.0.1", "--port", str(port)],
        {**pg_env, "LEARNSTREAM_RUN_FOLLOWERS": "0"},
        tmp_path / "serve.log",
        port,
    ).start()
    worker = None
    try:
        api.wait_for_output("waiting for a learnstream worker")
        assert api.alive()
        worker = start_worker(pg_env, tmp_path / "worker.log")
        api.wait_healthy()
        with httpx.Client(base_url=api.base_url, timeout=60) as http:
            admin = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
            created = http.post("/api/v1/courses/?org_id=1", files=course_form("X"), headers=admin)
            assert created.status_code == 200, created.text
    finally:
        api.stop()
        if worker is not None:
            worker.stop()


def test_workers_started_together_on_a_fresh_store_all_come_up(pg_env, tmp_path, projections):
    """``--scale worker=3`` on an empty database: they race to create the read-model tables."""
    workers = [
        LearnstreamProcess(["worker"], pg_env, tmp_path / f"worker{i}.log").start()
        for i in range(3)
    ]
    try:
        for worker in workers:
            worker.wait_for_output("learnstream worker: following the event log")
        assert all(worker.alive() for worker in workers)
        # Not "no Traceback": a loaded shared PostgreSQL may log connection refusals here.
        output = "".join(worker.output() for worker in workers)
        assert "UniqueViolation" not in output and "already exists" not in output, output
        def held() -> frozenset[str]:
            return held_projection_locks(pg_env_schema(pg_env), projections)

        wait_until(lambda: held() == projections, what=lambda: f"held {sorted(held())}")
    finally:
        for worker in workers:
            worker.stop()


def pg_env_schema(env: dict[str, str]) -> str:
    return PostgresDsn.parse(env["LEARNSTREAM_DATABASE_URL"]).schema

"""Seed 001's limit, 30 generation requests a minute per key, enforced by two real API
processes together through Redis: the 31st request is refused wherever it lands."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    REDIS_URL,
    drop_schema,
    free_port,
    postgres_url_with_schema,
    require_service,
)
from tests.e2e.server_process import login, serve

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(300)]


@pytest.fixture
def shared_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    require_service("Redis", "127.0.0.1", 6379)
    schema = "gl_" + uuid.uuid4().hex[:12]
    yield {
        "LEARNSTREAM_DATABASE_URL": postgres_url_with_schema(schema),
        "LEARNSTREAM_REDIS_URL": REDIS_URL,
        "LEARNSTREAM_REDIS_PREFIX": f"lstest:{uuid.uuid4().hex}:",
        "LEARNSTREAM_ADMIN_EMAIL": ADMIN_EMAIL,
        "LEARNSTREAM_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "LEARNSTREAM_JWT_SECRET": "gen-limit-" + uuid.uuid4().hex,
        "LEARNSTREAM_API_TOKEN_KEY": "gen-limit-token-key-" + uuid.uuid4().hex,
        # Queued jobs need not run for this test.
        "LEARNSTREAM_GENERATION_WORKER": "0",
    }
    drop_schema(schema)


def test_the_31st_request_in_a_minute_is_refused_by_either_process(shared_env: dict[str, str], tmp_path: Path):
    first = serve({**shared_env, "LEARNSTREAM_DATA_DIR": str(tmp_path / "a")}, tmp_path / "a.log", free_port())
    try:
        second = serve({**shared_env, "LEARNSTREAM_DATA_DIR": str(tmp_path / "b")}, tmp_path / "b.log", free_port())
    except BaseException:
        first.kill()
        raise
    with first, second, httpx.Client(base_url=first.base_url, timeout=30) as a, httpx.Client(
        base_url=second.base_url, timeout=30
    ) as b:
        admin = login(a, ADMIN_EMAIL, ADMIN_PASSWORD)
        created = a.post("/api/v1/orgs/1/api-tokens", json={"name": "learningstudio"}, headers=admin)
        assert created.status_code == 200, created.text
        key = {"Authorization": f"Bearer {created.json()['token']}"}
        body = {"subject": "Workplace safety basics"}
        statuses = [(a if i % 2 else b).post("/api/v1/courses", json=body, headers=key).status_code for i in range(31)]
        assert statuses == [202] * 30 + [429], str(statuses)
        for client in (a, b):
            refused = client.post("/api/v1/courses", json=body, headers=key)
            assert refused.status_code == 429
            assert refused.json()["code"] == "RATE_LIMIT_EXCEEDED"
            assert refused.json()["message"] == refused.json()["detail"]
            assert int(refused.headers["Retry-After"]) >= 1
        # Thirty jobs were queued, not one more; the admin's own session has its own budget.
        jobs = b.get("/api/v1/courses/jobs?limit=100", headers=key).json()
        assert jobs["total"] == 30
        assert a.post("/api/v1/courses", json=body, headers=admin).status_code == 202

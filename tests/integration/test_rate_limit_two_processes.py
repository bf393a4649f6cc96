"""Two real ``learnstream serve`` processes sharing one PostgreSQL schema and one Redis
enforce ONE limit together: a token's budget is spent wherever its requests land."""

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
LIMIT = 8


@pytest.fixture
def shared_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    require_service("Redis", "127.0.0.1", 6379)
    schema = "rl_" + uuid.uuid4().hex[:12]
    yield {
        "LEARNSTREAM_DATABASE_URL": postgres_url_with_schema(schema),
        "LEARNSTREAM_REDIS_URL": REDIS_URL,
        "LEARNSTREAM_REDIS_PREFIX": f"lstest:{uuid.uuid4().hex}:",
        "LEARNSTREAM_ADMIN_EMAIL": ADMIN_EMAIL,
        "LEARNSTREAM_ADMIN_PASSWORD": ADMIN_PASSWORD,
        # Every process of one deployment shares these keys.
        "LEARNSTREAM_JWT_SECRET": "two-procs-" + uuid.uuid4().hex,
        "LEARNSTREAM_API_TOKEN_KEY": "two-procs-token-key-" + uuid.uuid4().hex,
        "LEARNSTREAM_RATE_LIMIT_READ": f"{LIMIT}/3600",
    }
    drop_schema(schema)


def test_two_api_processes_share_one_limit(shared_env: dict[str, str], tmp_path: Path):
    first = serve({**shared_env, "LEARNSTREAM_DATA_DIR": str(tmp_path / "a")}, tmp_path / "a.log", free_port())
    # The second starts once the first has bootstrapped the shared store.
    try:
        second = serve({**shared_env, "LEARNSTREAM_DATA_DIR": str(tmp_path / "b")}, tmp_path / "b.log", free_port())
    except BaseException:
        first.kill()
        raise
    with first, second, httpx.Client(base_url=first.base_url, timeout=30) as a, httpx.Client(
        base_url=second.base_url, timeout=30
    ) as b:
        admin = login(a, ADMIN_EMAIL, ADMIN_PASSWORD)
        created = a.post("/api/v1/orgs/1/api-tokens", json={"name": "shared"}, headers=admin)
        assert created.status_code == 200, created.text
        token = {"Authorization": f"Bearer {created.json()['token']}"}
        url = "/api/v1/courses/org_slug/default/page/1/limit/10"
        statuses = [(a if i % 2 else b).get(url, headers=token).status_code for i in range(LIMIT + 4)]
        assert statuses == [200] * LIMIT + [429] * 4, statuses
        # Both processes refuse from now on, and report the same shared budget.
        for client in (a, b):
            refused = client.get(url, headers=token)
            assert refused.status_code == 429
            assert refused.json()["code"] == "RATE_LIMIT_EXCEEDED"
            assert refused.headers["RateLimit-Remaining"] == "0"
        # The token works on either process: one key, one read model.
        assert b.get(url, headers=admin).status_code == 200

"""Rate limits, body size and login throttling through the HTTP API (SQLite and PostgreSQL;
the Redis backend where Redis runs). Each test uses its own Redis key prefix."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, REDIS_URL, require_service

COURSES = "/api/v1/courses/org_slug/default/page/1/limit/10"


def build_client(settings_env: dict[str, str], **overrides: str) -> tuple[Any, TestClient]:
    from api.app import create_app
    from api.bootstrap import Container
    from infrastructure.settings import Settings

    env = dict(settings_env)
    env.update({f"LEARNSTREAM_{k.upper()}": v for k, v in overrides.items()})
    container = Container.build(Settings.from_env(env))
    container.start_followers()
    container.bootstrap()
    return container, TestClient(app=create_app(container, run_followers=False))


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def limiter_backend(request: pytest.FixtureRequest) -> dict[str, str]:
    if request.param == "redis":
        require_service("Redis", "127.0.0.1", 6379)
        return {"redis_url": REDIS_URL, "redis_prefix": f"lstest:{uuid.uuid4().hex}:"}
    return {}


@pytest.fixture
def limited(settings_env: dict[str, str], limiter_backend: dict[str, str]) -> Iterator[TestClient]:
    _, client = build_client(
        settings_env, rate_limit_read="5/3600", rate_limit_write="3/3600", rate_limit_ip="1000/60",
        max_body_bytes="4096", **limiter_backend,
    )
    with client:
        yield client


def login(client: TestClient, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['tokens']['access_token']}"}


def test_over_the_limit_is_429_with_retry_after_and_ratelimit_headers(limited: TestClient):
    admin = login(limited)
    statuses = []
    for _ in range(5):
        response = limited.get(COURSES, headers=admin)
        statuses.append(response.status_code)
        assert response.headers["RateLimit-Limit"] == "5"
    assert statuses == [200] * 5
    assert limited.get(COURSES, headers=admin).headers["RateLimit-Remaining"] == "0"
    refused = limited.get(COURSES, headers=admin)
    assert refused.status_code == 429
    assert refused.json()["code"] == "RATE_LIMIT_EXCEEDED" and refused.json()["detail"]
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert "RateLimit-Reset" in refused.headers and "RateLimit-Policy" in refused.headers
    # Per credential: an anonymous caller (keyed by IP) still has its own read budget.
    assert limited.get(COURSES).status_code == 200
    # Per route group: writes have their own budget.
    assert limited.put("/api/v1/courses/course_none", json={"name": "x"}, headers=admin).status_code == 404


def test_a_token_is_limited_on_its_own(limited: TestClient):
    admin = login(limited)
    created = limited.post("/api/v1/orgs/1/api-tokens", json={"name": "int"}, headers=admin)
    token = {"Authorization": f"Bearer {created.json()['token']}"}
    assert [limited.get(COURSES, headers=token).status_code for _ in range(6)] == [200] * 5 + [429]
    assert limited.get(COURSES, headers=admin).status_code == 200


def test_oversized_bodies_are_413_on_every_route(limited: TestClient):
    admin = login(limited)
    big = b"x" * 5000
    for method, path in [
        ("POST", "/api/v1/orgs/1/api-tokens"),
        ("PUT", "/api/v1/courses/course_x"),
        ("POST", "/api/v1/courses/?org_id=1"),
        ("GET", COURSES),
        ("POST", "/api/v1/auth/login"),
    ]:
        response = limited.request(method, path, content=big, headers={**admin, "content-type": "application/json"})
        assert response.status_code == 413, (method, path, response.text)
        assert response.json()["code"] == "PAYLOAD_TOO_LARGE"


def test_login_lockout_same_answer_for_unknown_and_wrong(settings_env: dict[str, str], limiter_backend: dict[str, str]):
    _, client = build_client(settings_env, login_max_failures="3", login_lockout_seconds="120", **limiter_backend)
    with client:
        wrong = [client.post("/api/v1/auth/login", data={"username": ADMIN_EMAIL, "password": "nope-nope"}) for _ in range(3)]
        unknown = client.post("/api/v1/auth/login", data={"username": "ghost@example.com", "password": "nope-nope"})
        assert [r.status_code for r in wrong] == [401, 401, 401]
        assert unknown.status_code == 401 and unknown.json()["detail"] == wrong[0].json()["detail"]
        locked = client.post("/api/v1/auth/login", data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        assert locked.status_code in (423, 429)
        assert int(locked.headers["Retry-After"]) > 0

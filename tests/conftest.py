"""Shared fixtures. Store-dependent tests run on SQLite and on PostgreSQL (fresh schema each).

Under ``CI=true`` a missing PostgreSQL or Redis fails the tests that need it; elsewhere they
skip with the reason.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("LEARNSTREAM_ARGON2_PROFILE", "test")

pytest_plugins = ["tests.fakes.pytest_plugin"]

PG_URL = os.environ.get("LEARNSTREAM_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("LEARNSTREAM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() == "true"

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin-password-1"


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    if _reachable(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if IN_CI:
        pytest.fail(message + " (CI=true: services are required)")
    pytest.skip(message)


def postgres_url_with_schema(schema: str) -> str:
    return f"{PG_URL}?schema={schema}"


def drop_schema(schema: str) -> None:
    import psycopg
    from psycopg import sql

    from infrastructure.settings import PostgresDsn

    dsn = PostgresDsn.parse(PG_URL)
    with psycopg.connect(dsn.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        require_service("PostgreSQL", "127.0.0.1", 5432)
    return str(request.param)


@pytest.fixture
def settings_env(backend: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The LEARNSTREAM_* environment for a fresh, isolated store on the chosen backend."""
    env = {
        "LEARNSTREAM_DATA_DIR": str(tmp_path / "var"),
        "LEARNSTREAM_ADMIN_EMAIL": ADMIN_EMAIL,
        "LEARNSTREAM_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "LEARNSTREAM_JWT_SECRET": "test-secret-" + uuid.uuid4().hex,
        "LEARNSTREAM_ARGON2_PROFILE": "test",
    }
    schema = None
    if backend == "postgres":
        schema = "t_" + uuid.uuid4().hex[:12]
        env["LEARNSTREAM_DATABASE_URL"] = postgres_url_with_schema(schema)
    yield env
    if schema is not None:
        drop_schema(schema)


@pytest.fixture
def settings(settings_env: dict[str, str]) -> Any:
    from infrastructure.settings import Settings

    return Settings.from_env(settings_env)


@pytest.fixture
def container(settings: Any) -> Iterator[Any]:
    from api.bootstrap import Container

    c = Container.build(settings)
    c.start_followers()
    c.bootstrap()
    yield c
    c.close()


@pytest.fixture
def client(container: Any) -> Iterator[Any]:
    from litestar.testing import TestClient

    from api.app import create_app

    app = create_app(container, run_followers=False)
    with TestClient(app=app) as test_client:
        yield test_client


class Api:
    """Small helpers that read as the seed's steps."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def login(self, email: str, password: str) -> dict[str, str]:
        response = self.client.post(
            "/api/v1/auth/login", data={"username": email, "password": password}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['tokens']['access_token']}"}

    def admin(self) -> dict[str, str]:
        return self.login(ADMIN_EMAIL, ADMIN_PASSWORD)

    def signup(self, org_id: int | str, email: str, password: str = "password-123") -> dict[str, Any]:
        username = email.split("@")[0].replace("+", "_")
        response = self.client.post(
            f"/api/v1/users/{org_id}",
            json={"username": username, "email": email, "password": password},
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def member(self, org_id: int | str, email: str, password: str = "password-123") -> dict[str, str]:
        self.signup(org_id, email, password)
        return self.login(email, password)

    def create_org(self, headers: dict[str, str], slug: str, name: str | None = None) -> dict[str, Any]:
        response = self.client.post(
            "/api/v1/orgs/",
            json={"name": name or slug.title(), "slug": slug, "email": f"{slug}@example.com"},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def set_role(self, headers: dict[str, str], org_id: int, user_id: int, role_uuid: str) -> None:
        response = self.client.put(
            f"/api/v1/orgs/{org_id}/users/{user_id}/role/{role_uuid}", headers=headers
        )
        assert response.status_code == 200, response.text

    def create_course(
        self, headers: dict[str, str], org_id: int | str = 1, name: str = "Introduction to Python",
        public: bool = True, **fields: str,
    ) -> dict[str, Any]:
        form = {
            "name": name,
            "description": "A beginner-friendly Python course",
            "about": "Learn Python from scratch.",
            "public": "true" if public else "false",
            **fields,
        }
        # Sent as multipart/form-data, exactly like `curl -F`.
        response = self.client.post(
            f"/api/v1/courses/?org_id={org_id}",
            files={key: (None, value) for key, value in form.items()},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture
def api(client: Any) -> Api:
    return Api(client)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])

"""The real ``learnstream serve`` process on a loopback port, driven over HTTP as seed 000 shows."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import drop_schema, free_port, postgres_url_with_schema, require_service
from tests.e2e.server_process import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    course_form,
    login,
    run_cli,
    serve,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """LEARNSTREAM_* settings for a fresh store (no admin: each test chooses)."""
    env = {"LEARNSTREAM_DATA_DIR": str(tmp_path / "var")}
    schema = None
    if request.param == "postgres":
        require_service("PostgreSQL", "127.0.0.1", 5432)
        schema = "e2e_" + uuid.uuid4().hex[:12]
        env["LEARNSTREAM_DATABASE_URL"] = postgres_url_with_schema(schema)
    yield env
    if schema is not None:
        drop_schema(schema)


def with_admin(env: dict[str, str]) -> dict[str, str]:
    return {
        **env,
        "LEARNSTREAM_ADMIN_EMAIL": ADMIN_EMAIL,
        "LEARNSTREAM_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }


def test_seed_000_walkthrough_against_the_real_server(store_env, tmp_path):
    with serve(with_admin(store_env), tmp_path / "serve.log", free_port()) as server, httpx.Client(
        base_url=server.base_url, timeout=30
    ) as http:
        assert http.get("/api/health").json() == {"status": "ok", "database": None}
        assert http.get("/openapi.json").status_code == 200

        admin = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
        created = http.post(
            "/api/v1/courses/?org_id=1", files=course_form("Introduction to Python"), headers=admin
        )
        assert created.status_code == 200, created.text
        course = created.json()
        assert course["name"] == "Introduction to Python"
        assert course["course_uuid"].startswith("course_")

        # Read your writes across the real process: list/count/get right after the 200.
        listed = http.get("/api/v1/courses/org_slug/default/page/1/limit/20", headers=admin)
        assert listed.status_code == 200
        assert [c["course_uuid"] for c in listed.json()] == [course["course_uuid"]]
        assert http.get("/api/v1/courses/org_slug/default/count", headers=admin).json() == 1
        fetched = http.get(f"/api/v1/courses/{course['course_uuid']}", headers=admin)
        assert fetched.status_code == 200
        assert fetched.json()["course_uuid"] == course["course_uuid"]
        assert fetched.json()["about"] == "Learn Python from scratch."

        missing_about = course_form("No about")
        del missing_about["about"]
        rejected = http.post("/api/v1/courses/?org_id=1", files=missing_about, headers=admin)
        assert rejected.status_code == 422
        assert "about" in rejected.json()["detail"]

        # A fresh client: the login above also set LearnHouse's session cookies on ``http``.
        unauthenticated = httpx.post(
            server.base_url + "/api/v1/courses/?org_id=1", files=course_form("Anon"), timeout=30
        )
        assert unauthenticated.status_code == 401
        assert unauthenticated.headers.get("www-authenticate", "").startswith("Bearer")


def test_first_start_without_admin_settings_prints_a_password_once(store_env, tmp_path):
    log = tmp_path / "serve.log"
    port = free_port()
    with serve(store_env, log, port) as server:
        printed = re.findall(r"password: (\S+)", server.output())
        assert len(printed) == 1, server.output()
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            login(http, "admin@learnstream.local", printed[0])

    # A second start on the same store creates nothing and prints no password.
    with serve(store_env, log, port) as server:
        assert len(re.findall(r"password: (\S+)", server.output())) == 1
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            login(http, "admin@learnstream.local", printed[0])


def test_create_admin_on_an_existing_store(store_env, tmp_path):
    env = with_admin(store_env)
    port = free_port()
    with serve(env, tmp_path / "serve.log", port):
        pass  # first start: the store now holds org 'default' and its admin

    done = run_cli(
        ["create-admin", "--email", "ops@example.com", "--password", "ops-password-1"], env
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ops@example.com is now Admin of org 'default'" in done.stdout

    with serve(env, tmp_path / "serve.log", port) as server, httpx.Client(
        base_url=server.base_url, timeout=30
    ) as http:
        ops = login(http, "ops@example.com", "ops-password-1")
        created = http.post("/api/v1/courses/?org_id=1", files=course_form("By ops"), headers=ops)
        assert created.status_code == 200, created.text


def test_restart_catches_read_models_up_before_serving(store_env, tmp_path):
    """A read model left behind the log (crash, deploy, wiped table) is current on first request."""
    from api.bootstrap import Container
    from infrastructure.settings import Settings
    from projections.engine.framework import reset

    env = with_admin(store_env)
    port = free_port()
    with serve(env, tmp_path / "serve.log", port) as server, httpx.Client(
        base_url=server.base_url, timeout=30
    ) as http:
        admin = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
        for i in range(20):
            created = http.post(
                "/api/v1/courses/?org_id=1", files=course_form(f"Course {i}"), headers=admin
            )
            assert created.status_code == 200, created.text

    container = Container.build(Settings.from_env(env))
    try:
        reset(container.projections["catalog"])  # empty tables at position 0
    finally:
        container.close()
    behind = run_cli(["status", "--max-lag", "0"], env)
    assert behind.returncode == 1, behind.stdout + behind.stderr
    assert re.search(r"catalog\s+0 \(v1, \d+ behind\)", behind.stdout), behind.stdout

    with serve(env, tmp_path / "serve.log", port) as server, httpx.Client(
        base_url=server.base_url, timeout=30
    ) as http:
        admin = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
        assert http.get("/api/v1/courses/org_slug/default/count", headers=admin).json() == 20
    current = run_cli(["status", "--max-lag", "0"], env)
    assert current.returncode == 0, current.stdout + current.stderr

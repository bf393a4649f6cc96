"""compose.yaml wires postgres, redis, api and worker with the same LEARNSTREAM_* settings.

Docker cannot run here, so this checks the file's shape, not a running stack.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from infrastructure.settings import PostgresDsn, Settings

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "compose.yaml").read_text()))


def test_services_and_shared_settings():
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "api", "worker"}
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    assert services["api"]["command"][:2] == ["learnstream", "serve"]
    assert "0.0.0.0" in services["api"]["command"]
    assert services["worker"]["command"][:2] == ["learnstream", "worker"]
    # The worker's own metrics port, behind the shared metrics token.
    assert "--metrics-port" in services["worker"]["command"]
    api_env, worker_env = services["api"]["environment"], services["worker"]["environment"]
    assert api_env.pop("LEARNSTREAM_RUN_FOLLOWERS") == "0"
    assert api_env == worker_env
    for key in ("DATABASE_URL", "REDIS_URL", "JWT_SECRET", "ADMIN_EMAIL", "ADMIN_PASSWORD", "METRICS_TOKEN"):
        assert f"LEARNSTREAM_{key}" in api_env
    for name, service in services.items():
        assert "healthcheck" in service, name
    for name in ("api", "worker"):
        assert service_depends(services[name]) >= {"postgres", "redis"}
    assert "worker" in service_depends(services["api"])


def service_depends(service: dict[str, Any]) -> set[str]:
    return set(service.get("depends_on", {}))


def test_the_database_url_is_one_our_settings_understand():
    url = compose()["services"]["api"]["environment"]["LEARNSTREAM_DATABASE_URL"]
    url = url.replace("${POSTGRES_PASSWORD:-learnstream}", "learnstream")
    settings = Settings.from_env({"LEARNSTREAM_DATABASE_URL": url})
    assert settings.uses_postgres
    dsn = PostgresDsn.parse(url)
    assert (dsn.host, dsn.dbname, dsn.user, dsn.schema) == (
        "postgres", "learnstream", "learnstream", "public"
    )
    env = compose()["services"]["postgres"]["environment"]
    assert (env["POSTGRES_DB"], env["POSTGRES_USER"]) == ("learnstream", "learnstream")


def test_dockerfile_installs_the_package_and_serves():
    text = (ROOT / "Dockerfile").read_text()
    assert text.startswith("# ") and "FROM python:3.11-slim" in text
    assert "pip install ." in text
    for package in ("domain", "application", "infrastructure", "projections", "api"):
        assert f"COPY {package} ./{package}" in text

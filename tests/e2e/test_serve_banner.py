"""The real ``learnstream serve``: says where it listens, serves /metrics to loopback clients,
writes JSON log lines (uvicorn's too) when asked, and sums metrics across processes."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import free_port
from tests.e2e.server_process import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    LearnstreamProcess,
    clean_environ,
    serve,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "LEARNSTREAM_DATA_DIR": str(tmp_path / "var"),
        "LEARNSTREAM_ADMIN_EMAIL": ADMIN_EMAIL,
        "LEARNSTREAM_ADMIN_PASSWORD": ADMIN_PASSWORD,
        **extra,
    }


def scrape(base_url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = httpx.get(base_url + "/metrics", timeout=30)
    assert response.status_code == 200, response.text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def test_serve_prints_its_address_and_docs_and_serves_metrics_to_loopback(tmp_path: Path) -> None:
    port = free_port()
    with serve(env_for(tmp_path), tmp_path / "serve.log", port) as server:
        server.wait_for_output("serving on")
        lines = server.output().splitlines()
        assert f"serving on http://127.0.0.1:{port} (docs: /docs)" in lines
        assert httpx.get(server.base_url + "/docs", timeout=30).status_code == 200
        scraped = scrape(server.base_url)
    key = ("learnstream_http_requests_total", (("method", "GET"), ("route", "/api/health"), ("status", "200")))
    assert scraped[key] >= 1  # wait_healthy polled it


def test_json_log_format_covers_uvicorn_lines(tmp_path: Path) -> None:
    port = free_port()
    env = env_for(tmp_path, LEARNSTREAM_LOG_FORMAT="json")
    with serve(env, tmp_path / "serve.log", port) as server:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(b"NOT HTTP AT ALL\r\n\r\n")
            raw.recv(1024)
        server.wait_for_output("Invalid HTTP request")
        output = server.output()
    banner = f"serving on http://127.0.0.1:{port} (docs: /docs)"
    logged = [json.loads(line) for line in output.splitlines() if line and line != banner]
    invalid = [line for line in logged if "Invalid HTTP request" in line["message"]]
    assert invalid, output
    assert invalid[0]["logger"] == "uvicorn.error"
    assert invalid[0]["level"] == "WARNING"
    assert set(invalid[0]) >= {"time", "level", "logger", "message", "request_id"}


def test_metrics_directory_sums_every_process(tmp_path: Path) -> None:
    metrics_dir = tmp_path / "metrics"
    env = env_for(tmp_path, LEARNSTREAM_METRICS_DIR=str(metrics_dir))
    with serve(env, tmp_path / "serve.log", free_port()) as server:
        # Another process on the host (a worker, say) counts into the same directory.
        other = subprocess.run(
            [sys.executable, "-c",
             "from infrastructure.metrics import count_rate_limit_refusal as c; c('write'); c('write')"],
            env=clean_environ({"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}),
            capture_output=True, text=True, timeout=60, check=False,
        )
        assert other.returncode == 0, other.stderr
        scraped = scrape(server.base_url)
    assert scraped[("learnstream_rate_limit_refusals_total", (("group", "write"),))] == 2
    assert any(key[0] == "learnstream_http_requests_total" for key in scraped)
    assert list(metrics_dir.glob("*.db"))


def test_a_broken_knowledge_base_stops_the_start_with_its_problems_only(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    (kb / "roles").mkdir(parents=True)
    (kb / "skills.toml").write_text("")
    (kb / "roles" / "alpha_role.toml").write_text("this is [not toml")
    env = env_for(tmp_path, LEARNSTREAM_KNOWLEDGE_BASE_DIR=str(kb))
    ended = subprocess.run(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(free_port())],
        env=clean_environ(env), capture_output=True, text=True, timeout=120, check=False,
    )
    assert ended.returncode == 2, ended.stdout + ended.stderr
    assert "roles/alpha_role.toml: not valid TOML" in ended.stderr
    assert "Traceback" not in ended.stdout + ended.stderr
    assert "serving on" not in ended.stdout


def test_a_worker_serves_its_own_metrics_under_the_token_rule(tmp_path: Path) -> None:
    port = free_port()
    env = env_for(tmp_path, LEARNSTREAM_METRICS_TOKEN="scrape-secret-1")
    args = ["worker", "--metrics-port", str(port)]
    with LearnstreamProcess(args, env, tmp_path / "worker.log").start() as worker:
        worker.wait_for_output(f"metrics on http://127.0.0.1:{port}/metrics")
        url = f"http://127.0.0.1:{port}/metrics"
        refused = httpx.get(url, timeout=30)
        assert refused.status_code == 403
        assert refused.json() == {"detail": "A valid metrics token is required", "code": "FORBIDDEN"}
        assert httpx.get(url, headers={"Authorization": "Bearer wrong"}, timeout=30).status_code == 403
        scraped = httpx.get(url, headers={"Authorization": "Bearer scrape-secret-1"}, timeout=30)
        assert scraped.status_code == 200, scraped.text
        names = {family.name for family in text_string_to_metric_families(scraped.text)}
        assert {"learnstream_projection_lag_events", "learnstream_webhook_outbox_depth"} <= names, names
        assert httpx.get(f"http://127.0.0.1:{port}/other", timeout=30).status_code == 404

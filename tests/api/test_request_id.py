"""X-Request-ID on every response, the abuse guard's and the router's included; a sane incoming
id is kept; log lines written while serving a request carry its id (JSON format)."""

from __future__ import annotations

import io
import json
import logging
import re
from typing import Any

import pytest
from litestar import get
from litestar.testing import TestClient

from api.app import create_app
from api.log_format import configure_logging

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def settings_env(settings_env: dict[str, str]) -> dict[str, str]:
    settings_env["LEARNSTREAM_MAX_BODY_BYTES"] = "2000"
    settings_env["LEARNSTREAM_RATE_LIMIT_WRITE"] = "2/60"
    return settings_env


def test_every_answer_carries_a_generated_id(client: Any) -> None:
    answers = {
        "ok": client.get("/api/health"),
        "unknown path": client.get("/no/such/route"),
        "method not allowed": client.delete("/api/health"),
        "not found by a handler": client.get("/api/v1/orgs/slug/nope"),
        "too large": client.post("/api/v1/orgs/", content=b"x" * 3000),
    }
    assert [a.status_code for a in answers.values()] == [200, 404, 405, 404, 413]
    ids = [a.headers.get("x-request-id", "") for a in answers.values()]
    assert all(GENERATED.fullmatch(i) for i in ids), ids
    assert len(set(ids)) == len(ids)


def test_rate_limited_answers_carry_the_id(client: Any) -> None:
    answers = [client.post("/api/v1/orgs/", json={}, headers={"X-Request-ID": f"req-{n}"}) for n in range(3)]
    assert answers[-1].status_code == 429
    assert [a.headers["x-request-id"] for a in answers] == ["req-0", "req-1", "req-2"]


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("trace-7f3a.b_c-1", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("has space", False),
        ("semi;colon", False),
        ("", False),
    ],
)
def test_an_incoming_id_is_kept_only_when_it_is_a_short_token(client: Any, sent: str, kept: bool) -> None:
    echoed = client.get("/api/health", headers={"X-Request-ID": sent}).headers["x-request-id"]
    if kept:
        assert echoed == sent
    else:
        assert GENERATED.fullmatch(echoed), echoed


@get("/test/log-something", sync_to_thread=True)
def log_something() -> dict[str, str]:
    logging.getLogger("learnstream.test").warning("inside %s", "the handler", extra={"course": 7})
    return {}


def test_json_log_lines_carry_the_request_id(container: Any) -> None:
    app = create_app(container, run_followers=False)
    app.register(log_something)
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    configure_logging("json", stream=stream)
    try:
        with TestClient(app=app) as client:
            sent = client.get("/test/log-something", headers={"X-Request-ID": "abc-123"})
            made = client.get("/test/log-something")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    ours = [line for line in lines if line["logger"] == "learnstream.test"]
    assert [line["request_id"] for line in ours] == ["abc-123", made.headers["x-request-id"]]
    assert sent.headers["x-request-id"] == "abc-123"
    first = ours[0]
    assert first["level"] == "WARNING"
    assert first["message"] == "inside the handler"
    assert first["course"] == 7
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", first["time"])

"""GET /metrics: Prometheus text for a bearer token (or loopback clients), with requests by route
template and status, read-model lag, outbox depth, delivery outcomes and refusals.

Counters are process-wide, so every assertion is about the change a test caused.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.bootstrap import Container
from domain.claims import UniqueClaim
from infrastructure.settings import Settings
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Api, free_port
from tests.integration.webhook_receiver import Receiver

TOKEN = "metrics-" + uuid.uuid4().hex
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def samples(client: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers=BEARER)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    out = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(scraped: dict[Any, float], name: str, **labels: str) -> float:
    return scraped.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def metrics_env(settings_env: dict[str, str]) -> dict[str, str]:
    settings_env["LEARNSTREAM_METRICS_TOKEN"] = TOKEN
    return settings_env


@pytest.fixture
def client(metrics_env: dict[str, str], container: Any) -> Iterator[Any]:
    with TestClient(app=create_app(container, run_followers=False)) as test_client:
        yield test_client


def test_the_token_is_required_and_the_route_is_not_documented(client: Any) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        refused = client.get("/metrics", headers=headers)
        assert refused.status_code == 403
        assert refused.json() == {"detail": "A valid metrics token is required", "code": "FORBIDDEN"}
    assert client.get("/metrics", headers=BEARER).status_code == 200
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


def test_without_a_token_only_loopback_clients_may_scrape(settings_env: dict[str, str], container: Any) -> None:
    with TestClient(app=create_app(container, run_followers=False)) as client:
        refused = client.get("/metrics")  # the test client is not on loopback
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Metrics are served to local clients only", "code": "FORBIDDEN"}


def test_requests_are_counted_by_route_template_and_status(client: Any) -> None:
    admin = Api(client).login(ADMIN_EMAIL, ADMIN_PASSWORD)
    before = samples(client)
    assert client.get("/api/v1/orgs/1", headers=admin).status_code == 200
    assert client.get("/api/v1/orgs/999999", headers=admin).status_code == 404
    assert client.get("/no/such/path/4711").status_code == 404
    assert client.request("BREW", "/api/health").status_code == 405
    after = samples(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    route = "/api/v1/orgs/{org_id}"
    assert delta("learnstream_http_requests_total", method="GET", route=route, status="200") == 1
    assert delta("learnstream_http_requests_total", method="GET", route=route, status="404") == 1
    assert delta("learnstream_http_requests_total", method="GET", route="<unmatched>", status="404") == 1
    assert delta("learnstream_http_request_duration_seconds_count", method="GET", route=route) == 2
    assert delta("learnstream_http_request_duration_seconds_bucket", method="GET", route=route, le="+Inf") == 2
    # A client's odd method is one series, not one per method it invents.
    assert delta("learnstream_http_requests_total", method="OTHER", route="<unmatched>", status="405") == 1
    labels = {v for (_, pairs) in after for k, v in pairs if k in ("route", "method")}
    assert not any("999999" in r or "4711" in r or r == "BREW" for r in labels), labels


def test_projection_lag_in_events_and_seconds(metrics_env: dict[str, str]) -> None:
    container = Container.build(Settings.from_env(metrics_env))
    try:
        container.catch_up()
        with TestClient(app=create_app(container, run_followers=False)) as client:
            client.app.state.state_metrics.cache_seconds = 0
            head = container.events.last_position()
            for n in range(3):  # appended, and no follower runs in this process
                container.events.save(UniqueClaim("metrics-test", f"value-{n}", uuid.uuid4()))
            time.sleep(0.3)
            behind = samples(client)
            container.catch_up()
            caught_up = samples(client)
    finally:
        container.close()
    assert value(behind, "learnstream_event_log_head") == head + 3
    for name in container.projections:
        assert value(behind, "learnstream_projection_lag_events", projection=name) == 3
        assert value(behind, "learnstream_projection_lag_seconds", projection=name) >= 0.3
        assert value(caught_up, "learnstream_projection_lag_events", projection=name) == 0
        assert value(caught_up, "learnstream_projection_lag_seconds", projection=name) == 0


@pytest.fixture
def hooks_env(metrics_env: dict[str, str]) -> dict[str, str]:
    metrics_env["LEARNSTREAM_WEBHOOKS_ALLOW_PRIVATE"] = "1"  # the receivers are on loopback
    metrics_env["LEARNSTREAM_WEBHOOKS_POLL_SECONDS"] = "0.2"
    return metrics_env


def test_outbox_depth_and_delivery_outcomes(hooks_env: dict[str, str], client: Any) -> None:
    client.app.state.state_metrics.cache_seconds = 0
    api = Api(client)
    admin = api.admin()
    good, bad = Receiver(), Receiver(status=500)
    try:
        for receiver in (good, bad):
            hook = client.post(
                "/api/v1/orgs/1/webhooks/", json={"url": receiver.url, "events": ["course_created"]},
                headers=admin,
            )
            assert hook.status_code == 200, hook.text
        before = samples(client)
        api.create_course(admin, name="Counted deliveries")
        deadline = time.monotonic() + 20
        while True:
            after = samples(client)
            done = {
                outcome: value(after, "learnstream_webhook_deliveries_total", outcome=outcome)
                - value(before, "learnstream_webhook_deliveries_total", outcome=outcome)
                for outcome in ("succeeded", "retrying", "failed")
            }
            if (done["succeeded"] and done["retrying"]) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    finally:
        good.close()
        bad.close()
    assert done == {"succeeded": 1, "retrying": 1, "failed": 0}
    # The refused one waits for its retry (seconds away): pending, not due.
    assert value(after, "learnstream_webhook_outbox_depth") == 1
    assert value(after, "learnstream_webhook_outbox_due") == 0


@pytest.fixture
def strict_env(metrics_env: dict[str, str]) -> dict[str, str]:
    metrics_env["LEARNSTREAM_RATE_LIMIT_AUTH"] = "3/60"
    metrics_env["LEARNSTREAM_LOGIN_MAX_FAILURES"] = "2"
    return metrics_env


def test_rate_limit_and_login_throttle_refusals_are_counted(strict_env: dict[str, str], client: Any) -> None:
    before = samples(client)
    wrong = {"username": ADMIN_EMAIL, "password": "not-the-password"}
    answers = [client.post("/api/v1/auth/login", data=wrong) for _ in range(4)]
    assert [a.status_code for a in answers] == [401, 401, 429, 429]
    assert answers[2].json()["code"] == "TOO_MANY_ATTEMPTS"  # the account is locked out
    assert answers[3].json()["code"] == "RATE_LIMIT_EXCEEDED"  # the 4th request of 3 allowed
    after = samples(client)
    assert (
        value(after, "learnstream_login_throttle_refusals_total")
        - value(before, "learnstream_login_throttle_refusals_total")
    ) == 1
    assert (
        value(after, "learnstream_rate_limit_refusals_total", group="auth")
        - value(before, "learnstream_rate_limit_refusals_total", group="auth")
    ) == 1


@pytest.fixture
def dead_redis_env(metrics_env: dict[str, str]) -> dict[str, str]:
    metrics_env["LEARNSTREAM_REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens
    return metrics_env


def test_decisions_made_without_redis_are_counted(dead_redis_env: dict[str, str], client: Any) -> None:
    before = samples(client)
    for _ in range(3):
        assert client.get("/api/v1/orgs/1").status_code in (200, 401, 403)
    wrong = {"username": ADMIN_EMAIL, "password": "not-the-password"}
    assert client.post("/api/v1/auth/login", data=wrong).status_code == 401
    after = samples(client)

    def delta(name: str, component: str) -> float:
        return value(after, name, component=component) - value(before, name, component=component)

    assert delta("learnstream_redis_fallback_decisions_total", "rate_limit") >= 4
    assert delta("learnstream_redis_fallback_decisions_total", "login_throttle") >= 1
    assert delta("learnstream_redis_outages_total", "rate_limit") >= 1

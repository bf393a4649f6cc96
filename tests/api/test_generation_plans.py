"""Plans, credits and the per-key rate limit: refused before queueing, so a refusal makes no
job and uses no credit."""

from __future__ import annotations

import pytest

from tests.api.generation_support import assert_error, bearer, issue_token, submit, wait_for_job


@pytest.fixture
def settings_env(settings_env):
    return {
        **settings_env,
        "LEARNSTREAM_GENERATION_PLANS": "free:0,tiny:2,pro:500",
        "LEARNSTREAM_GENERATION_DEFAULT_ORG_PLAN": "tiny",
        "LEARNSTREAM_GENERATION_RATE_LIMIT": "4/60",
        "LEARNSTREAM_GENERATION_POLL_SECONDS": "0.2",
    }


def _jobs(client, headers):
    return client.get("/api/v1/courses/jobs", headers=headers).json()["total"]


def _account(client, headers, slug="default"):
    response = client.get(f"/api/v1/admin/{slug}/generation", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_used_up_month_is_refused_before_queueing(api, client):
    admin = api.admin()
    for subject in ("One", "Two"):
        assert submit(client, admin, {"subject": subject}).status_code == 202
    assert _account(client, admin)["credits_used"] == 2
    refused = assert_error(submit(client, admin, {"subject": "Three"}), 403, "USAGE_LIMIT_EXCEEDED_PLAN")
    assert "tiny" in refused["message"]
    assert _jobs(client, admin) == 2
    account = _account(client, admin)
    assert (account["plan"], account["credits_used"], account["credits_left"]) == ("tiny", 2, 0)


def test_a_failed_or_cancelled_job_gives_its_credit_back(api, client, container):
    admin = api.admin()
    container.stop_generation_worker()
    first = submit(client, admin, {"subject": "One"}).json()
    submit(client, admin, {"subject": "Two"})
    assert client.delete(first["pollUrl"], headers=admin).status_code == 200
    assert submit(client, admin, {"subject": "Three"}).status_code == 202
    assert _account(client, admin)["credits_used"] == 2


def test_an_org_without_a_paid_plan_is_refused_until_an_operator_sets_one(api, client):
    operator = api.admin()
    acme = api.create_org(operator, "acme")
    boss = api.signup(acme["id"], "boss@acme.example")
    api.set_role(operator, acme["id"], boss["id"], "role_global_admin")
    acme_admin = api.login("boss@acme.example", "password-123")
    token = bearer(issue_token(client, acme_admin, org_id=acme["id"]))

    refused = assert_error(submit(client, token), 403, "PAID_PLAN_REQUIRED")
    assert "free" in refused["message"]
    assert _jobs(client, token) == 0
    assert _account(client, acme_admin, "acme")["credits_used"] == 0

    # The org's own admin cannot buy itself a plan; the instance operator can.
    assert client.put("/api/v1/admin/acme/generation/plan", json={"plan": "pro"}, headers=acme_admin).status_code == 403
    assert client.put("/api/v1/admin/acme/generation/plan", json={"plan": "gold"}, headers=operator).status_code == 422
    changed = client.put("/api/v1/admin/acme/generation/plan", json={"plan": "pro"}, headers=operator)
    assert changed.status_code == 200, changed.text
    assert changed.json()["plan"] == "pro" and changed.json()["monthly_credits"] == 500
    accepted = submit(client, token)
    assert accepted.status_code == 202, accepted.text
    assert wait_for_job(client, accepted.json()["pollUrl"], token)["status"] == "completed"


def test_the_fifth_request_in_a_minute_is_rate_limited_per_key(api, client):
    admin = api.admin()
    token = bearer(issue_token(client, admin))
    bodies = [{"subject": f"S{i}", "format": "bogus"} for i in range(4)]
    assert [submit(client, token, b).status_code for b in bodies] == [400] * 4
    limited = assert_error(submit(client, token), 429, "RATE_LIMIT_EXCEEDED")
    assert int(client.post("/api/v1/courses", json={"subject": "x"}, headers=token).headers["Retry-After"]) >= 1
    assert "Retry" in limited["message"]
    assert _jobs(client, admin) == 0
    # Another key has its own budget.
    assert submit(client, admin).status_code == 202

"""Webhook management through the API, with real receivers on loopback (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.webhook_receiver import Receiver


@pytest.fixture(autouse=True)
def _allow_loopback(settings_env: dict[str, str]) -> None:
    settings_env["LEARNSTREAM_WEBHOOKS_ALLOW_PRIVATE"] = "1"
    settings_env["LEARNSTREAM_WEBHOOKS_POLL_SECONDS"] = "0.2"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def create_hook(api: Any, headers: dict[str, str], url: str, events: list[str], org: int = 1) -> dict[str, Any]:
    response = api.client.post(
        f"/api/v1/orgs/{org}/webhooks/", json={"url": url, "events": events, "description": "CI"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_catalogue_lists_every_issue_event_with_schemas(api: Any) -> None:
    response = api.client.get("/api/v1/orgs/1/webhooks/events", headers=api.admin())
    assert response.status_code == 200, response.text
    body = response.json()
    for name in (
        "user_signed_up", "user_role_changed", "user_removed_from_org", "course_created",
        "course_updated", "course_published", "course_deleted", "chapter_created",
        "activity_created", "activity_version_created", "activity_version_restored",
        "collection_created", "collection_updated", "collection_deleted", "course_enrolled",
        "course_unenrolled", "activity_completed", "course_completed", "api_token_created",
        "api_token_revoked", "webhook_endpoint_disabled",
    ):
        assert name in body["events"], name
    by_name = {e["name"]: e for e in body["catalogue"]}
    assert by_name["ping"]["subscribable"] is False
    assert by_name["course_created"]["schema"]["properties"]["course"]["required"] == ["course_uuid", "name"]
    assert "delivery_id" in body["envelope"]["properties"]


def test_create_shows_secret_once_and_delivers_signed_course_created(api: Any, receiver: Receiver) -> None:
    admin = api.admin()
    hook = create_hook(api, admin, receiver.url, ["course_created"])
    assert hook["secret"].startswith("whsec_") and hook["webhook_uuid"].startswith("webhook_")
    assert hook["is_active"] is True and hook["has_secret"] is True
    receiver.secrets = [hook["secret"]]
    listed = api.client.get("/api/v1/orgs/1/webhooks/", headers=admin).json()
    assert [h["webhook_uuid"] for h in listed] == [hook["webhook_uuid"]]
    assert "secret" not in listed[0]
    assert "secret" not in api.client.get(f"/api/v1/orgs/1/webhooks/{hook['webhook_uuid']}", headers=admin).json()

    course = api.create_course(admin, name="Webhooks 101")
    [got] = receiver.wait_for(1)
    assert got.body["event"] == "course_created"
    assert got.body["org_id"] == 1
    assert got.body["delivery_id"].startswith("dlv_")
    assert got.body["data"]["course"] == {"course_uuid": course["course_uuid"], "name": "Webhooks 101"}
    assert got.raw == got.raw.replace(b": ", b":")  # compact JSON
    assert got.headers["X-Webhook-Event"] == "course_created"
    assert got.headers["X-Webhook-Delivery"] == got.body["delivery_id"] == got.headers["webhook-id"]
    assert got.standard_ok == {hook["secret"]: True}
    assert got.sha256_ok == {hook["secret"]: True}

    attempts = api.client.get(
        f"/api/v1/orgs/1/webhooks/{hook['webhook_uuid']}/deliveries?limit=10", headers=admin
    )
    assert attempts.status_code == 200
    wait_attempts(api, admin, hook["webhook_uuid"], 1)


def wait_attempts(api: Any, headers: dict[str, str], webhook_uuid: str, count: int) -> list[dict[str, Any]]:
    import time

    deadline = time.monotonic() + 20
    while True:
        rows = api.client.get(
            f"/api/v1/orgs/1/webhooks/{webhook_uuid}/deliveries?limit=200", headers=headers
        ).json()
        if len(rows) >= count or time.monotonic() > deadline:
            assert len(rows) >= count, rows
            return list(rows)
        time.sleep(0.05)


def test_unknown_event_names_are_400_and_ping_is_not_subscribable(api: Any, receiver: Receiver) -> None:
    # LearnHouse's answer: 400, the unknown names and the allowed ones each sorted.
    response = api.client.post(
        "/api/v1/orgs/1/webhooks/", json={"url": receiver.url, "events": ["ping", "course_created", "nope"]},
        headers=api.admin(),
    )
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("Invalid event names: nope, ping. Allowed events: activity_completed, ")
    allowed = detail.split("Allowed events: ")[1].split(", ")
    assert allowed == sorted(allowed) and "course_created" in allowed and "ping" not in allowed


def issue_token(api: Any, headers: dict[str, str], org_id: int) -> dict[str, str]:
    response = api.client.post(
        f"/api/v1/orgs/{org_id}/api-tokens",
        json={"name": "Automation", "description": "", "expires_at": None},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_only_org_admins_with_a_session_manage_webhooks(api: Any, receiver: Receiver) -> None:
    admin = api.admin()
    other = api.create_org(admin, "acme")
    tokens = {"default": issue_token(api, admin, 1), "acme": issue_token(api, admin, other["id"])}
    member = api.member(1, "member@example.com")
    new_hook = {"url": receiver.url, "events": ["course_created"]}
    for response in (
        api.client.get("/api/v1/orgs/1/webhooks/", headers=member),
        api.client.post("/api/v1/orgs/1/webhooks/", json=new_hook, headers=member),
    ):
        assert response.status_code == 403, response.text
        assert response.json() == {
            "detail": "User rights (roles & authorship) : You don't have the right to perform this action",
            "code": "FORBIDDEN",
        }
    api.client.cookies.clear()  # the login above left session cookies behind
    anonymous = api.client.get("/api/v1/orgs/1/webhooks/")
    assert anonymous.status_code == 401
    assert anonymous.json() == {"detail": "Authentication required", "code": "UNAUTHENTICATED"}
    # Real tokens, of this org and of another, live on content routes but not here.
    for slug, token in tokens.items():
        live = api.client.get(f"/api/v1/courses/org_slug/{slug}/count", headers=token)
        assert live.status_code == 200, live.text
        for response in (
            api.client.get("/api/v1/orgs/1/webhooks/", headers=token),
            api.client.post("/api/v1/orgs/1/webhooks/", json=new_hook, headers=token),
        ):
            assert response.status_code == 403, response.text
            assert response.json() == {
                "detail": "API tokens are not allowed on this route", "code": "TOKEN_NOT_ALLOWED",
            }
    assert api.client.get("/api/v1/orgs/1/webhooks/", headers=admin).json() == []


def test_ping_update_delete_and_attempt_log(api: Any, receiver: Receiver) -> None:
    admin = api.admin()
    hook = create_hook(api, admin, receiver.url, ["course_created"])
    receiver.secrets = [hook["secret"]]
    uuid = hook["webhook_uuid"]
    assert api.client.post(f"/api/v1/orgs/1/webhooks/{uuid}/test", headers=admin).json() == {
        "detail": "Test event dispatched"
    }
    [ping] = receiver.wait_for(1)
    assert ping.body["event"] == "ping" and ping.body["data"]["message"]
    assert ping.standard_ok[hook["secret"]]
    rows = wait_attempts(api, admin, uuid, 1)
    assert rows[0]["success"] is True and rows[0]["response_status"] == 200
    assert rows[0]["response_body"] == '{"ok":true}' and rows[0]["event_name"] == "ping"

    changed = api.client.put(
        f"/api/v1/orgs/1/webhooks/{uuid}", json={"events": ["course_deleted"], "description": "new"},
        headers=admin,
    ).json()
    assert changed["events"] == ["course_deleted"] and changed["description"] == "new"
    assert api.client.delete(f"/api/v1/orgs/1/webhooks/{uuid}", headers=admin).json() == {
        "detail": "Webhook endpoint deleted successfully"
    }
    missing = api.client.get(f"/api/v1/orgs/1/webhooks/{uuid}", headers=admin)
    assert missing.status_code == 404 and missing.json()["detail"] == "Webhook endpoint not found"


def test_failed_delivery_can_be_redelivered_with_the_same_id(api: Any, receiver: Receiver) -> None:
    admin = api.admin()
    receiver.status = 500
    hook = create_hook(api, admin, receiver.url, ["course_created"])
    api.create_course(admin)
    [first] = receiver.wait_for(1)
    rows = wait_attempts(api, admin, hook["webhook_uuid"], 1)
    assert rows[0]["success"] is False and rows[0]["response_status"] == 500
    assert rows[0]["error_message"] == "HTTP 500"
    receiver.status = 200
    response = api.client.post(
        f"/api/v1/orgs/1/webhooks/{hook['webhook_uuid']}/deliveries/{first.body['delivery_id']}/redeliver",
        headers=admin,
    )
    assert response.status_code == 202, response.text
    second = receiver.wait_for(2)[1]
    assert second.body == first.body
    rows = wait_attempts(api, admin, hook["webhook_uuid"], 2)
    assert rows[0]["success"] is True and rows[0]["attempt"] == 2

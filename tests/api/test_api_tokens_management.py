"""Token management: rights gate, shapes, rights ceiling, expiry, revoke, regenerate, usage."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

BASE = "/api/v1/orgs/1/api-tokens"
COURSES = "/api/v1/courses/org_slug/default/page/1/limit/10"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def issue(client, headers, name="My integration", org_id=1, **body):
    payload = {"name": name, "description": "Server-side automation", "expires_at": None, **body}
    return client.post(f"/api/v1/orgs/{org_id}/api-tokens", json=payload, headers=headers)


def full_rights() -> dict[str, dict[str, bool]]:
    crud = {"action_create": True, "action_read": True, "action_update": True, "action_delete": True}
    rights = {r: dict(crud) for r in ("courses", "coursechapters", "activities", "collections", "trails")}
    rights["search"] = {"action_read": True}
    return rights


def test_list_get_update_never_show_the_secret(api, client):
    admin = api.admin()
    created = issue(client, admin).json()
    issue(client, admin, name="Second")
    listed = client.get(BASE, headers=admin)
    assert listed.status_code == 200
    assert [t["name"] for t in listed.json()] == ["Second", "My integration"]  # newest first
    one = client.get(f"{BASE}/{created['token_uuid']}", headers=admin).json()
    assert set(one) == {
        "id", "token_uuid", "name", "description", "token_prefix", "org_id", "rights",
        "created_by_user_id", "creation_date", "update_date", "last_used_at", "expires_at",
        "is_active",
    }
    assert one["is_active"] is True and one["created_by_user_id"] is not None
    changed = client.put(
        f"{BASE}/{created['token_uuid']}",
        json={"name": "Renamed", "rights": {"courses": {"action_read": True}}},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Renamed"
    assert changed.json()["rights"]["courses"]["action_create"] is False
    for text in (listed.text, str(one), changed.text):
        assert created["token"] not in text and created["token"][12:] not in text
    # The narrowed token can read but no longer create courses.
    token = bearer(created["token"])
    assert client.get(COURSES, headers=token).status_code == 200
    denied = client.post("/api/v1/courses/?org_id=1", files={"name": (None, "x"), "description": (None, "x"), "about": (None, "x")}, headers=token)
    assert denied.status_code == 403
    assert denied.json()["code"] == "TOKEN_RIGHT_MISSING"


def test_only_users_with_roles_rights_manage_tokens(api, client):
    admin = api.admin()
    learner = api.member(1, "learner@example.com")
    assert issue(client, learner).status_code == 403
    assert client.get(BASE, headers=learner).status_code == 403
    client.cookies.clear()  # the login above left a session cookie in the client
    assert issue(client, {}).status_code == 401
    token = bearer(issue(client, admin).json()["token"])
    refused = issue(client, token, name="From a token")
    assert refused.status_code == 403  # tokens can never manage tokens
    assert client.get(BASE, headers=token).status_code == 403
    assert client.get("/api/v1/orgs/999/api-tokens", headers=admin).status_code == 404


def test_a_token_cannot_exceed_its_creator(api, client):
    admin = api.admin()
    org = api.create_org(admin, "acme")
    # A Maintainer-like custom role that may manage roles but not delete courses.
    role = client.post(
        f"/api/v1/roles/org/{org['id']}",
        json={"name": "Token keeper", "rights": {
            "roles": {"action_create": True, "action_read": True, "action_update": True},
            "courses": {"action_read": True, "action_create": True},
        }},
        headers=admin,
    )
    assert role.status_code == 200, role.text
    keeper = api.member(org["id"], "keeper@example.com")
    user_id = client.get("/api/v1/users/profile", headers=keeper).json()["id"]
    api.set_role(admin, org["id"], user_id, role.json()["role_uuid"])
    too_much = issue(client, keeper, org_id=org["id"], rights={"courses": {"action_delete": True}})
    assert too_much.status_code == 403
    assert "action_delete" in too_much.json()["detail"] and "courses" in too_much.json()["detail"]
    ok = issue(client, keeper, org_id=org["id"], rights={"courses": {"action_read": True}})
    assert ok.status_code == 200, ok.text
    # Omitted rights: the creator's own (token-capable) rights.
    default = issue(client, keeper, org_id=org["id"], name="Default").json()
    assert default["rights"]["courses"]["action_create"] is True
    assert default["rights"]["courses"]["action_delete"] is False


def test_bad_input(api, client):
    admin = api.admin()
    bad_date = issue(client, admin, expires_at="next tuesday")
    assert bad_date.status_code == 422 and bad_date.json()["field"] == "expires_at"
    past = issue(client, admin, expires_at="2001-01-01T00:00:00Z")
    assert past.status_code == 422
    assert issue(client, admin, name="  ").status_code == 400
    assert issue(client, admin, name="x" * 101).status_code == 400
    assert issue(client, admin, rights={"users": {"action_read": True}}).status_code == 422
    assert issue(client, admin, rights={"search": {"action_create": True}}).status_code == 422
    assert issue(client, admin, name="Dup").status_code == 200
    dup = issue(client, admin, name="dup")
    assert dup.status_code == 409
    assert "already exists" in dup.json()["detail"]


def test_revoked_expired_and_regenerated_tokens(api, client):
    admin = api.admin()
    created = issue(client, admin).json()
    token = bearer(created["token"])
    assert client.get(COURSES, headers=token).status_code == 200
    # Regenerate: same uuid and rights, new secret; the old one stops at once.
    fresh = client.post(f"{BASE}/{created['token_uuid']}/regenerate", headers=admin)
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["token_uuid"] == created["token_uuid"]
    assert fresh.json()["token"] != created["token"]
    assert fresh.json()["rights"] == created["rights"]
    assert client.get(COURSES, headers=token).status_code == 401
    new = bearer(fresh.json()["token"])
    assert client.get(COURSES, headers=new).status_code == 200
    # Revoke: 401 from then on; regenerate refused; the name is free again.
    revoked = client.delete(f"{BASE}/{created['token_uuid']}", headers=admin)
    assert revoked.json() == {"message": "API token revoked successfully"}
    denied = client.get(COURSES, headers=new)
    assert denied.status_code == 401 and denied.json()["detail"] == "Could not validate credentials"
    again = client.post(f"{BASE}/{created['token_uuid']}/regenerate", headers=admin)
    assert again.status_code == 400 and again.json()["detail"] == "Cannot regenerate a revoked token"
    assert client.get(f"{BASE}/{created['token_uuid']}", headers=admin).json()["is_active"] is False
    assert issue(client, admin).status_code == 200
    # Expired: valid until its expiry, 401 after.
    soon = datetime.now(UTC) + timedelta(seconds=3)  # never refused as already past on a loaded machine
    short = issue(client, admin, name="Short", expires_at=soon.isoformat()).json()
    assert client.get(COURSES, headers=bearer(short["token"])).status_code == 200
    time.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.2)
    assert client.get(COURSES, headers=bearer(short["token"])).status_code == 401
    assert client.get(COURSES, headers=bearer("lh_" + "x" * 43)).status_code == 401


def test_last_used_is_coalesced_and_flushed(api, client, container):
    admin = api.admin()
    created = issue(client, admin).json()
    url = f"{BASE}/{created['token_uuid']}"
    assert client.get(url, headers=admin).json()["last_used_at"] is None
    for _ in range(5):
        client.get(COURSES, headers=bearer(created["token"]))
    tokens = container.api_tokens
    pending = client.get(url, headers=admin).json()["last_used_at"]
    assert pending is not None  # this process sees its own pending use
    tokens.coalescer.flush()
    from projections.queries.api_tokens import TokenUsage

    stored = TokenUsage(container.read_store).last_used([created["token_uuid"].removeprefix("apitoken_")])
    assert list(stored.values()) == [pending]


def test_the_secret_never_appears_in_events_logs_or_later_responses(api, client, container, caplog):
    caplog.set_level(logging.DEBUG)
    admin = api.admin()
    created = issue(client, admin, rights=full_rights()).json()
    secret = created["token"]
    token = bearer(secret)
    api.create_course(token)
    regenerated = client.post(f"{BASE}/{created['token_uuid']}/regenerate", headers=admin).json()
    later = [
        client.get(BASE, headers=admin).text,
        client.get(f"{BASE}/{created['token_uuid']}", headers=admin).text,
        client.get(COURSES, headers=bearer(regenerated["token"])).text,
        client.put(f"{BASE}/{created['token_uuid']}", json={"description": "d"}, headers=admin).text,
    ]
    secrets = [secret, regenerated["token"]]
    for text in later:
        for s in secrets:
            assert s not in text and s[12:] not in text
    raw = b"".join(bytes(n.state) for n in container.events.read_raw(0, 10_000))
    for s in secrets:
        assert s.encode() not in raw and s[12:].encode() not in raw
    assert b"ApiTokenIssued" in b"".join(n.topic.encode() for n in container.events.read_raw(0, 10_000))
    for record in caplog.records:
        line = record.getMessage() + str(record.args)
        for s in secrets:
            assert s not in line and s[12:] not in line

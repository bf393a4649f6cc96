"""Invite-only orgs (LearnHouse ``signup_mechanism`` and ``/invites``): signing up into an
``inviteOnly`` org needs a live invite code, so its private courses are not open to anyone who
signs up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from application.signups import Signups
from infrastructure.token_hashing import TokenHasher
from projections.queries.invites import InviteQueries
from tests.api.test_orgs_api import issue_token
from tests.api.test_tenant_isolation import account

NEWCOMER = {"username": "newcomer", "email": "newcomer@example.com", "password": "password-123"}


def person(n: int | str) -> dict[str, str]:
    return {"username": f"person{n}", "email": f"person{n}@example.com", "password": "password-123"}


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def invite_only(client: Any, headers: dict[str, str], org_id: int = 1) -> None:
    response = client.put(f"/api/v1/orgs/{org_id}/signup_mechanism?signup_mechanism=inviteOnly", headers=headers)
    assert ok(response) == {"detail": "Signup mechanism updated"}


def new_code(client: Any, headers: dict[str, str], org_id: int = 1, query: str = "") -> dict[str, Any]:
    return dict(ok(client.post(f"/api/v1/orgs/{org_id}/invites{query}", headers=headers)))


def test_an_invite_only_org_refuses_plain_signups_and_keeps_its_private_courses_closed(client, api):
    admin = api.admin()
    private = api.create_course(admin, 1, name="Staff handbook", public=False)
    invite_only(client, admin)
    client.cookies.clear()
    refused = client.post("/api/v1/users/1", json=NEWCOMER)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "You need an invite to join this organization", "code": "INVITE_REQUIRED"}
    assert client.post("/api/v1/auth/login", data={"username": NEWCOMER["email"], "password": "password-123"}).status_code == 401
    # Someone with an account elsewhere is still no member here.
    stranger = account(client, "stranger@example.com")
    assert client.get(f"/api/v1/courses/{private['course_uuid']}", headers=stranger).status_code == 404
    names = [c["name"] for c in client.get("/api/v1/courses/org_slug/default/page/1/limit/20", headers=stranger).json()]
    assert "Staff handbook" not in names


def test_an_invited_person_signs_up_with_the_code_and_sees_the_private_courses(client, api):
    admin = api.admin()
    private = api.create_course(admin, 1, name="Staff handbook", public=False)
    invite_only(client, admin)
    code = new_code(client, admin)
    assert code["invite_code"].isalnum() and code["invite_code_uuid"].startswith("org_invite_code_")
    assert (code["invite_code_type"], code["uses"], code["max_uses"]) == ("signup", 0, None)
    assert code["invite_code_expires"] == 365 * 24 * 3600
    client.cookies.clear()
    user = ok(client.post(f"/api/v1/users/1/invite/{code['invite_code']}", json=NEWCOMER))
    assert user["email"] == NEWCOMER["email"] and user["user_uuid"].startswith("user_")
    member = api.login(NEWCOMER["email"], "password-123")
    assert client.get(f"/api/v1/courses/{private['course_uuid']}", headers=member).status_code == 200
    listed = ok(client.get("/api/v1/orgs/1/invites", headers=admin))
    assert [(c["invite_code_uuid"], c["uses"]) for c in listed] == [(code["invite_code_uuid"], 1)]
    members = ok(client.get("/api/v1/orgs/1/users", headers=admin))["items"]
    roles = {m["user"]["email"]: m["role"]["role_uuid"] for m in members}
    assert roles[NEWCOMER["email"]] == "role_global_user"


def test_wrong_deleted_and_other_orgs_codes_are_refused(client, api):
    admin = api.admin()
    invite_only(client, admin)
    other = api.create_org(admin, "org-b")
    invite_only(client, admin, other["id"])
    theirs = new_code(client, admin, other["id"])
    mine = new_code(client, admin)
    client.cookies.clear()
    for code in ("NOPE1234NOPE", theirs["invite_code"], "../etc", "a" * 80):
        response = client.post(f"/api/v1/users/1/invite/{code}", json=NEWCOMER)
        assert response.status_code in (403, 404), (code, response.text)
        if response.status_code == 403:
            assert response.json() == {"detail": "Invite code is incorrect", "code": "INVITE_INVALID"}, code
    deleted = client.delete(f"/api/v1/orgs/1/invites/{mine['invite_code_uuid']}", headers=admin)
    assert ok(deleted) == {"detail": "Invite code deleted"}
    client.cookies.clear()
    gone = client.post(f"/api/v1/users/1/invite/{mine['invite_code']}", json=NEWCOMER)
    assert gone.status_code == 403 and gone.json()["code"] == "INVITE_INVALID"
    assert ok(client.get("/api/v1/orgs/1/invites", headers=admin)) == []


def test_a_code_used_up_admits_no_one_more(client, api):
    admin = api.admin()
    invite_only(client, admin)
    code = new_code(client, admin, query="?max_uses=2")
    assert code["max_uses"] == 2
    client.cookies.clear()
    for n in (1, 2):
        ok(client.post(f"/api/v1/users/1/invite/{code['invite_code']}", json=person(n)))
    third = client.post(f"/api/v1/users/1/invite/{code['invite_code']}", json=person(3))
    assert third.status_code == 403
    assert third.json() == {"detail": "Invite code has reached its usage limit", "code": "INVITE_USED_UP"}
    assert ok(client.get("/api/v1/orgs/1/invites", headers=admin))[0]["uses"] == 2


def test_a_failed_signup_does_not_use_up_the_code(client, api):
    admin = api.admin()
    invite_only(client, admin)
    code = new_code(client, admin, query="?max_uses=1")
    client.cookies.clear()
    taken = client.post(f"/api/v1/users/1/invite/{code['invite_code']}", json={**NEWCOMER, "email": "admin@example.com"})
    assert taken.status_code == 400 and taken.json()["detail"] == "Email already exists"
    short = client.post(f"/api/v1/users/1/invite/{code['invite_code']}", json={**NEWCOMER, "password": "short"})
    assert short.status_code == 400
    ok(client.post(f"/api/v1/users/1/invite/{code['invite_code']}", json=NEWCOMER))


def test_an_expired_code_is_refused(container, client, api):
    admin = api.admin()
    invite_only(client, admin)
    code = new_code(client, admin, query="?expires_at=" + (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert code["expires_at"] is not None
    # The same service, three days later.
    later = Signups(
        container.writer, container.identity, container.accounts,
        InviteQueries(container.read_models.invites),
        TokenHasher.from_settings(container.settings.api_token_key, container.settings.data_dir),
        now=lambda: datetime.now(UTC) + timedelta(days=3),
    )
    from application.accounts import NewAccount
    from domain.errors import Forbidden

    try:
        later.sign_up_with_invite(1, code["invite_code"], NewAccount(**NEWCOMER))
    except Forbidden as refused:
        assert (refused.code, refused.detail) == ("INVITE_EXPIRED", "Invite code has expired")
    else:
        raise AssertionError("an expired code admitted a signup")
    # Today it still works.
    client.cookies.clear()
    ok(client.post(f"/api/v1/users/1/invite/{code['invite_code']}", json=NEWCOMER))


def test_an_open_org_needs_no_code(client, api):
    admin = api.admin()
    code = new_code(client, admin)
    client.cookies.clear()
    response = client.post(f"/api/v1/users/1/invite/{code['invite_code']}", json=NEWCOMER)
    assert response.status_code == 403
    assert response.json() == {"detail": "This organization does not require an invite code", "code": "INVITE_NOT_REQUIRED"}
    ok(client.post("/api/v1/users/1", json=NEWCOMER))
    # Back to open after invite-only.
    invite_only(client, admin)
    ok(client.put("/api/v1/orgs/1/signup_mechanism?signup_mechanism=open", headers=admin))
    client.cookies.clear()
    ok(client.post("/api/v1/users/1", json=person(9)))


def test_a_holder_of_a_code_may_look_it_up(client, api):
    admin = api.admin()
    invite_only(client, admin)
    code = new_code(client, admin)
    client.cookies.clear()
    found = ok(client.get(f"/api/v1/orgs/1/invites/code/{code['invite_code']}"))
    assert found == code
    for wrong in ("NOPE1234NOPE", "not-alnum"):
        missing = client.get(f"/api/v1/orgs/1/invites/code/{wrong}")
        assert missing.status_code == 404 and missing.json()["detail"] == "Invite code not found"


def test_bad_invite_and_mode_input_is_a_clear_4xx(client, api):
    admin = api.admin()
    mode = client.put("/api/v1/orgs/1/signup_mechanism?signup_mechanism=closed", headers=admin)
    assert mode.status_code == 422 and "signup_mechanism" in mode.json()["detail"]
    assert client.put("/api/v1/orgs/1/signup_mechanism", headers=admin).status_code == 422
    for query, field in (("?max_uses=0", "max_uses"), ("?expires_at=yesterday", "expires_at"),
                         ("?expires_at=2001-01-01T00:00:00Z", "expires_at")):
        response = client.post(f"/api/v1/orgs/1/invites{query}", headers=admin)
        assert response.status_code == 422, (query, response.text)
        assert field in response.json()["detail"], query
    for n in range(6):
        new_code(client, admin)
    full = client.post("/api/v1/orgs/1/invites", headers=admin)
    assert full.status_code == 400
    assert full.json() == {"detail": "Maximum number of invite codes reached", "code": "INVITE_LIMIT"}
    nothing = client.delete("/api/v1/orgs/1/invites/org_invite_code_nope", headers=admin)
    assert nothing.status_code == 404 and nothing.json()["detail"] == "Invite code not found"
    no_org = client.get("/api/v1/orgs/777/invites", headers=admin)
    assert no_org.status_code == 404 and no_org.json()["detail"] == "Organization not found"


def test_only_the_orgs_admins_manage_signup_and_codes(client, api):
    admin = api.admin()
    code = new_code(client, admin)
    member = api.member(1, "member@example.com")
    outsider = account(client, "outsider@b.example")
    other = api.create_org(outsider, "org-b")
    theirs = new_code(client, outsider, other["id"])
    token = issue_token(client, admin, 1)
    calls = [
        ("PUT", "/api/v1/orgs/1/signup_mechanism?signup_mechanism=inviteOnly"),
        ("POST", "/api/v1/orgs/1/invites"),
        ("GET", "/api/v1/orgs/1/invites"),
        ("DELETE", f"/api/v1/orgs/1/invites/{code['invite_code_uuid']}"),
    ]
    for method, path in calls:
        for who, headers in (("member", member), ("outsider", outsider)):
            response = client.request(method, path, headers=headers)
            assert response.status_code == 403, (who, method, path, response.text)
            assert response.json()["code"] == "FORBIDDEN"
        client.cookies.clear()
        anonymous = client.request(method, path)
        assert anonymous.status_code == 401, (method, path)
        with_token = client.request(method, path, headers=token)
        assert with_token.status_code == 403 and with_token.json()["code"] == "TOKEN_NOT_ALLOWED"
    # Org B's admin neither sees nor deletes org 1's codes through org B's path.
    listed = ok(client.get(f"/api/v1/orgs/{other['id']}/invites", headers=outsider))
    assert [c["invite_code_uuid"] for c in listed] == [theirs["invite_code_uuid"]]
    foreign = client.delete(f"/api/v1/orgs/{other['id']}/invites/{code['invite_code_uuid']}", headers=outsider)
    assert foreign.status_code == 404
    assert [c["invite_code_uuid"] for c in ok(client.get("/api/v1/orgs/1/invites", headers=admin))] == [code["invite_code_uuid"]]
    client.cookies.clear()
    assert client.post("/api/v1/users/1", json=NEWCOMER).status_code == 200  # still open


def test_codes_are_never_written_to_the_log_in_clear(container, client, api):
    admin = api.admin()
    invite_only(client, admin)
    code = new_code(client, admin)["invite_code"]
    client.cookies.clear()
    ok(client.post(f"/api/v1/users/1/invite/{code}", json=NEWCOMER))
    states = [n.state for n in container.events.read_raw(0, limit=10_000)]
    # The log is readable as stored (the signup mode change is there), and the code is not.
    assert any(b"inviteOnly" in state for state in states)
    assert not any(code.encode() in state for state in states)


def test_the_org_tells_clients_whether_signup_needs_an_invite(client, api):
    def mode(ref: str) -> str:
        org = ok(client.get(ref))
        return str(org["config"]["config"]["admin_toggles"]["members"]["signup_mode"])

    admin = api.admin()
    client.cookies.clear()
    assert mode("/api/v1/orgs/1") == mode("/api/v1/orgs/slug/default") == "open"
    invite_only(client, admin)
    client.cookies.clear()
    assert mode("/api/v1/orgs/1") == mode("/api/v1/orgs/slug/default") == "inviteOnly"
    other = api.create_org(admin, "org-b")
    assert other["config"]["config"]["admin_toggles"]["members"]["signup_mode"] == "open"

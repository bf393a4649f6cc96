"""Seed 000 / LearnHouse organizations: create, read, update, delete, members, role changes."""

from __future__ import annotations

from typing import Any

ORGS = "/api/v1/orgs/"
ADMIN_EMAIL = "admin@example.com"  # tests/conftest.py


def account(client: Any, email: str, password: str = "password-123") -> dict[str, str]:
    """A user in no org yet, signed in LearnHouse-style (bearer)."""
    assert client.post("/api/auth/register", json={"email": email, "password": password}).status_code == 200
    client.cookies.clear()
    response = client.post("/api/v1/auth/login", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['tokens']['access_token']}"}


def user_id(client: Any, headers: dict[str, str]) -> int:
    return int(client.get("/api/v1/users/profile", headers=headers).json()["id"])


def test_create_org_makes_the_caller_admin(client, api):
    owner = account(client, "owner@example.com")
    response = client.post(
        ORGS, json={"name": "Acme", "slug": "acme", "email": "acme@example.com"}, headers=owner
    )
    assert response.status_code == 200, response.text
    org = response.json()
    assert org["org_uuid"].startswith("org_") and isinstance(org["id"], int)
    for field, value in (("name", "Acme"), ("slug", "acme"), ("email", "acme@example.com")):
        assert org[field] == value
    for field in ("description", "about", "socials", "links", "logo_image", "creation_date",
                  "update_date", "config", "explore", "label", "previews", "scripts"):
        assert field in org
    members = client.get(f"/api/v1/orgs/{org['id']}/users", headers=owner).json()
    assert members["total"] == 1
    assert members["items"][0]["user"]["email"] == "owner@example.com"
    assert members["items"][0]["role"]["role_uuid"] == "role_global_admin"


def test_create_org_errors(client, api):
    admin = api.admin()
    taken = client.post(ORGS, json={"name": "Again", "slug": "default", "email": "x@example.com"}, headers=admin)
    assert taken.status_code == 409
    assert taken.json() == {"detail": "Organization already exists", "code": "ORG_EXISTS"}
    for slug in ("Bad Slug", "-edge", "x" * 65, "", "ünï"):
        bad = client.post(ORGS, json={"name": "X", "slug": slug, "email": "x@example.com"}, headers=admin)
        assert bad.status_code == 422, (slug, bad.text)
        assert bad.json()["field"] == "slug"
    missing = client.post(ORGS, json={"slug": "noname", "email": "x@example.com"}, headers=admin)
    assert missing.status_code == 422 and missing.json()["field"] == "name"
    client.cookies.clear()
    anonymous = client.post(ORGS, json={"name": "Anon", "slug": "anon", "email": "a@example.com"})
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert anonymous.json()["detail"] == "You should be logged in to be able to achieve this action"


def test_read_org_by_id_uuid_and_slug_anonymously(client, api):
    org = api.create_org(api.admin(), "readable")
    client.cookies.clear()
    by_id = client.get(f"/api/v1/orgs/{org['id']}")
    by_uuid = client.get(f"/api/v1/orgs/{org['org_uuid']}")
    by_slug = client.get("/api/v1/orgs/slug/readable")
    assert by_id.status_code == by_uuid.status_code == by_slug.status_code == 200
    assert by_id.json() == by_uuid.json() == by_slug.json() == org
    default = client.get("/api/v1/orgs/1").json()
    assert default["slug"] == "default" and default["id"] == 1
    for path in ("/api/v1/orgs/999999", "/api/v1/orgs/slug/nope", "/api/v1/orgs/org_nope"):
        missing = client.get(path)
        assert missing.status_code == 404
        assert missing.json() == {"detail": "Organization not found", "code": "NOT_FOUND"}


def test_update_org_only_admins_and_slug_change_frees_old_slug(client, api):
    admin = api.admin()
    org = api.create_org(admin, "before")
    changed = client.put(f"/api/v1/orgs/{org['id']}", json={"slug": "after", "name": "Renamed"}, headers=admin)
    assert changed.status_code == 200, changed.text
    assert changed.json()["slug"] == "after" and changed.json()["name"] == "Renamed"
    assert changed.json()["description"] == org["description"]  # not sent → unchanged
    assert client.get("/api/v1/orgs/slug/before").status_code == 404
    assert client.get("/api/v1/orgs/slug/after").json()["id"] == org["id"]
    # The old slug is free again for a new org.
    assert api.create_org(admin, "before")["slug"] == "before"
    # A taken slug is refused.
    clash = client.put(f"/api/v1/orgs/{org['id']}", json={"slug": "default"}, headers=admin)
    assert clash.status_code == 409
    assert clash.json()["detail"] == "Organization slug already exists"
    bad = client.put(f"/api/v1/orgs/{org['id']}", json={"slug": "NOT OK"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["field"] == "slug"
    # Maintainers and Users of the org may not change it.
    member = api.member(org["id"], "m@example.com")
    api.set_role(admin, org["id"], user_id(client, member), "role_global_maintainer")
    blank = client.put(f"/api/v1/orgs/{org['id']}", json={"name": "  "}, headers=admin)
    assert blank.status_code == 422 and blank.json()["field"] == "name"
    refused = client.put(f"/api/v1/orgs/{org['id']}", json={"name": "Mine"}, headers=member)
    assert refused.status_code == 403
    assert client.get(f"/api/v1/orgs/{org['id']}").json()["name"] == "Renamed"
    client.cookies.clear()
    anonymous = client.put(f"/api/v1/orgs/{org['id']}", json={"name": "Anon"})
    assert anonymous.status_code == 401
    assert anonymous.json()["detail"] == "You should be logged in to be able to achieve this action"
    missing = client.put("/api/v1/orgs/424242", json={"name": "Nope"}, headers=admin)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Organization slug not found"  # sic, as LearnHouse says


def test_delete_org(client, api):
    admin = api.admin()
    org = api.create_org(admin, "doomed", name="Doomed Org")
    member = api.member(org["id"], "d@example.com")
    assert client.delete(f"/api/v1/orgs/{org['id']}", headers=member).status_code == 403
    response = client.delete(f"/api/v1/orgs/{org['id']}", headers=admin)
    assert response.status_code == 200
    assert response.json() == {"detail": "Organization deleted", "org_id": org["id"], "org_name": "Doomed Org"}
    assert client.get(f"/api/v1/orgs/{org['id']}").status_code == 404
    assert client.get("/api/v1/orgs/slug/doomed").status_code == 404
    assert client.delete(f"/api/v1/orgs/{org['id']}", headers=admin).status_code == 404
    # The slug can be used again.
    assert api.create_org(admin, "doomed")["id"] != org["id"]


def test_members_paginate_with_the_true_total(client, api):
    admin = api.admin()
    for i in range(5):
        api.signup(1, f"member{i}@example.com")
    first = client.get("/api/v1/orgs/1/users?page=1&limit=2", headers=admin)
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"items", "total", "page", "limit"}
    assert (body["total"], body["page"], body["limit"], len(body["items"])) == (6, 1, 2, 2)
    item = body["items"][0]
    assert set(item) >= {"user", "role", "usergroups", "joined_at"}
    pages = [client.get(f"/api/v1/orgs/1/users?page={p}&limit=2", headers=admin).json() for p in (1, 2, 3, 4)]
    emails = [i["user"]["email"] for p in pages for i in p["items"]]
    assert len(emails) == len(set(emails)) == 6
    assert pages[3]["items"] == [] and pages[3]["total"] == 6
    defaults = client.get("/api/v1/orgs/1/users", headers=admin).json()
    assert (defaults["page"], defaults["limit"]) == (1, 20)
    too_big = client.get("/api/v1/orgs/1/users?limit=101", headers=admin)
    assert too_big.status_code == 422 and too_big.json()["field"] == "limit"
    zero = client.get("/api/v1/orgs/1/users?page=0", headers=admin)
    assert zero.status_code == 422 and zero.json()["field"] == "page"


def test_members_need_a_signed_in_member(client, api):
    api.admin()
    client.cookies.clear()
    anonymous = client.get("/api/v1/orgs/1/users")
    assert anonymous.status_code == 401
    assert anonymous.json()["detail"] == "Authentication required"
    stranger = account(client, "stranger@example.com")
    response = client.get("/api/v1/orgs/1/users", headers=stranger)
    assert response.status_code == 403
    assert response.json()["detail"] == "You must be a member of this organization to view its members"
    assert client.get("/api/v1/orgs/777/users", headers=stranger).status_code == 404


def test_change_role(client, api):
    admin = api.admin()
    member = api.member(1, "promote@example.com")
    uid = user_id(client, member)
    response = client.put(f"/api/v1/orgs/1/users/{uid}/role/role_global_instructor", headers=admin)
    assert response.status_code == 200
    assert response.json() == {"detail": "User role updated"}
    listed = client.get("/api/v1/orgs/1/users", headers=admin).json()["items"]
    assert {i["user"]["id"]: i["role"]["role_uuid"] for i in listed}[uid] == "role_global_instructor"
    # By user_uuid too.
    uuid = client.get("/api/v1/users/profile", headers=member).json()["user_uuid"]
    assert client.put(f"/api/v1/orgs/1/users/{uuid}/role/role_global_user", headers=admin).status_code == 200
    unknown = client.put(f"/api/v1/orgs/1/users/{uid}/role/role_nope", headers=admin)
    assert unknown.status_code == 404 and unknown.json()["detail"] == "Role not found"
    nobody = client.put("/api/v1/orgs/1/users/999999/role/role_global_user", headers=admin)
    assert nobody.status_code == 404 and nobody.json()["detail"] == "User not found"
    # A member cannot promote themselves.
    selfish = client.put(f"/api/v1/orgs/1/users/{uid}/role/role_global_admin", headers=member)
    assert selfish.status_code == 403


def test_last_admin_cannot_be_demoted(client, api):
    admin = api.admin()
    admin_id = user_id(client, admin)
    response = client.put(f"/api/v1/orgs/1/users/{admin_id}/role/role_global_user", headers=admin)
    assert response.status_code == 400
    assert response.json() == {"detail": "Organization must have at least one admin", "code": "LAST_ADMIN"}
    # With a second admin the first may step down.
    other = api.member(1, "second@example.com")
    api.set_role(admin, 1, user_id(client, other), "role_global_admin")
    api.set_role(admin, 1, admin_id, "role_global_user")
    again = client.put(f"/api/v1/orgs/1/users/{user_id(client, other)}/role/role_global_user", headers=other)
    assert again.status_code == 400


def issue_token(client: Any, headers: dict[str, str], org_id: int) -> dict[str, str]:
    response = client.post(
        f"/api/v1/orgs/{org_id}/api-tokens",
        json={"name": "Automation", "description": "", "expires_at": None},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_api_tokens_are_refused_on_orgs_users_and_roles(client, api):
    admin = api.admin()
    other = api.create_org(admin, "acme")
    # Real tokens: one of org 1 itself and one of another org, each live where it belongs.
    tokens = {"default": issue_token(client, admin, 1), "acme": issue_token(client, admin, other["id"])}
    client.cookies.clear()
    for slug, token in tokens.items():
        live = client.get(f"/api/v1/courses/org_slug/{slug}/count", headers=token)
        assert live.status_code == 200, live.text
    calls = [
        ("GET", "/api/v1/orgs/1"), ("GET", "/api/v1/orgs/slug/default"),
        ("POST", "/api/v1/orgs/"), ("PUT", "/api/v1/orgs/1"), ("DELETE", "/api/v1/orgs/1"),
        ("GET", "/api/v1/orgs/1/users"), ("PUT", "/api/v1/orgs/1/users/1/role/role_global_user"),
        ("GET", "/api/v1/users/profile"), ("POST", "/api/v1/users/1"),
        ("GET", "/api/v1/roles/org/1"), ("POST", "/api/v1/roles/org/1"),
    ]
    for slug, token in tokens.items():
        for method, path in calls:
            kwargs: dict[str, Any] = {"headers": token}
            if method in ("POST", "PUT"):
                kwargs["json"] = {}
            response = client.request(method, path, **kwargs)
            assert response.status_code == 403, (slug, method, path, response.text)
            assert response.json() == {
                "detail": "API tokens are not allowed on this route", "code": "TOKEN_NOT_ALLOWED",
            }, (slug, method, path)
    # Nothing was changed by the refused calls.
    org = client.get("/api/v1/orgs/1", headers=admin)
    assert org.status_code == 200 and org.json()["slug"] == "default"
"""A user of org A can neither read, list, change nor delete anything of org B."""

from __future__ import annotations

from typing import Any

import pytest


def account(client: Any, email: str, password: str = "password-123") -> dict[str, str]:
    assert client.post("/api/auth/register", json={"email": email, "password": password}).status_code == 200
    client.cookies.clear()
    response = client.post("/api/v1/auth/login", data={"username": email, "password": password})
    client.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['tokens']['access_token']}"}


def user_id(client: Any, headers: dict[str, str]) -> int:
    return int(client.get("/api/v1/users/profile", headers=headers).json()["id"])


class Tenants:
    def __init__(self, client: Any, api: Any) -> None:
        self.a_admin = account(client, "alice@a.example")
        self.b_admin = account(client, "bob@b.example")
        self.a = api.create_org(self.a_admin, "org-a")
        self.b = api.create_org(self.b_admin, "org-b")
        self.a_user = api.member(self.a["id"], "learner-a@a.example")
        self.b_user = api.member(self.b["id"], "learner-b@b.example")
        client.cookies.clear()
        self.b_private = api.create_course(self.b_admin, self.b["id"], name="B private", public=False)
        self.b_public = api.create_course(self.b_admin, self.b["id"], name="B public")
        self.b_draft = api.create_course(self.b_admin, self.b["id"], name="B draft", published="false")
        self.b_role = client.post(
            f"/api/v1/roles/org/{self.b['id']}", json={"name": "B role", "rights": {}},
            headers=self.b_admin,
        ).json()


@pytest.fixture
def t(client: Any, api: Any) -> Tenants:
    return Tenants(client, api)


def test_org_admin_of_a_cannot_change_or_delete_org_b(client, t):
    for headers in (t.a_admin, t.a_user):
        assert client.put(f"/api/v1/orgs/{t.b['id']}", json={"name": "Mine"}, headers=headers).status_code == 403
        assert client.delete(f"/api/v1/orgs/{t.b['id']}", headers=headers).status_code == 403
    assert client.get(f"/api/v1/orgs/{t.b['id']}").json()["name"] == t.b["name"]


def test_members_and_roles_of_b_are_closed_to_a(client, t):
    b_user_id = user_id(client, t.b_user)
    for headers in (t.a_admin, t.a_user):
        assert client.get(f"/api/v1/orgs/{t.b['id']}/users", headers=headers).status_code == 403
        assert client.get(f"/api/v1/roles/org/{t.b['id']}", headers=headers).status_code == 403
        created = client.post(f"/api/v1/roles/org/{t.b['id']}", json={"name": "Evil", "rights": {}}, headers=headers)
        assert created.status_code == 403
        promoted = client.put(
            f"/api/v1/orgs/{t.b['id']}/users/{b_user_id}/role/role_global_admin", headers=headers
        )
        assert promoted.status_code == 403
    # Org A's admin cannot pull B's member or B's role into A either.
    into_a = client.put(
        f"/api/v1/orgs/{t.a['id']}/users/{b_user_id}/role/role_global_user", headers=t.a_admin
    )
    assert into_a.status_code == 404
    b_role_in_a = client.put(
        f"/api/v1/orgs/{t.a['id']}/users/{user_id(client, t.a_user)}/role/{t.b_role['role_uuid']}",
        headers=t.a_admin,
    )
    assert b_role_in_a.status_code == 404
    members = client.get(f"/api/v1/orgs/{t.b['id']}/users", headers=t.b_admin).json()
    assert {m["user"]["email"] for m in members["items"]} == {"bob@b.example", "learner-b@b.example"}


def test_courses_of_b_are_closed_to_a(client, t):
    for headers in (t.a_admin, t.a_user):
        listed = client.get("/api/v1/courses/org_slug/org-b/page/1/limit/50", headers=headers).json()
        assert [c["name"] for c in listed] == ["B public"]
        assert client.get("/api/v1/courses/org_slug/org-b/count", headers=headers).json() == 1
        for course in (t.b_private, t.b_draft):
            for path in (f"/api/v1/courses/{course['course_uuid']}", f"/api/v1/courses/id/{course['id']}"):
                assert client.get(path, headers=headers).status_code == 404
            assert client.put(f"/api/v1/courses/{course['course_uuid']}", json={"name": "x"}, headers=headers).status_code == 404
            assert client.delete(f"/api/v1/courses/{course['course_uuid']}", headers=headers).status_code == 404
        public = t.b_public["course_uuid"]
        assert client.get(f"/api/v1/courses/{public}", headers=headers).status_code == 200
        assert client.put(f"/api/v1/courses/{public}", json={"name": "x"}, headers=headers).status_code == 403
        assert client.delete(f"/api/v1/courses/{public}", headers=headers).status_code == 403
        created = client.post(
            f"/api/v1/courses/?org_id={t.b['id']}",
            files={"name": (None, "n"), "description": (None, "d"), "about": (None, "a")},
            headers=headers,
        )
        assert created.status_code == 403
    assert client.get("/api/v1/courses/org_slug/org-b/count", headers=t.b_admin).json() == 3
    assert client.get(f"/api/v1/courses/{t.b_public['course_uuid']}").json()["name"] == "B public"


def test_a_user_role_member_cannot_create_courses(client, t):
    response = client.post(
        f"/api/v1/courses/?org_id={t.a['id']}",
        files={"name": (None, "n"), "description": (None, "d"), "about": (None, "a")},
        headers=t.a_user,
    )
    assert response.status_code == 403


def issue_token(client: Any, headers: dict[str, str], org_id: int) -> dict[str, str]:
    """A real ``lh_`` token with every right its issuer may grant."""
    crud = {"action_create": True, "action_read": True, "action_update": True, "action_delete": True}
    rights: dict[str, dict[str, bool]] = {
        r: dict(crud) for r in ("courses", "coursechapters", "activities", "collections", "trails")
    }
    rights["search"] = {"action_read": True}
    response = client.post(
        f"/api/v1/orgs/{org_id}/api-tokens",
        json={"name": "Automation", "description": "", "expires_at": None, "rights": rights},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_api_token_of_a_would_not_reach_user_routes(client, t):
    token = issue_token(client, t.a_admin, t.a["id"])
    # The token is live in its own org, so the refusals below are about the route, not the token.
    assert client.get("/api/v1/courses/org_slug/org-a/count", headers=token).json() == 0
    for path in (f"/api/v1/orgs/{t.b['id']}/users", f"/api/v1/roles/org/{t.b['id']}", "/api/v1/users/profile"):
        response = client.get(path, headers=token)
        assert response.status_code == 403, (path, response.text)
        assert response.json() == {
            "detail": "API tokens are not allowed on this route", "code": "TOKEN_NOT_ALLOWED",
        }
    # Nor does it reach B's content, public or not.
    for course in (t.b_public, t.b_private):
        response = client.get(f"/api/v1/courses/{course['course_uuid']}", headers=token)
        assert response.status_code == 403, response.text
        assert response.json() == {
            "detail": "API token cannot access resources outside its organization",
            "code": "TOKEN_WRONG_ORG",
        }


def test_api_token_of_a_gets_one_answer_on_every_list_of_b(client, t):
    token = issue_token(client, t.a_admin, t.a["id"])
    wrong_org = {
        "detail": "API token cannot access resources outside its organization", "code": "TOKEN_WRONG_ORG",
    }
    for path in (
        "/api/v1/courses/org_slug/org-b/page/1/limit/10",
        "/api/v1/courses/org_slug/org-b/count",
        "/api/v1/courses/org_slug/org-b/search?query=python",
        "/api/v1/search/org_slug/org-b?query=python",
        f"/api/v1/collections/org/{t.b['id']}/page/1/limit/10",
    ):
        response = client.get(path, headers=token)
        assert response.status_code == 403, (path, response.text)
        assert response.json() == wrong_org, path

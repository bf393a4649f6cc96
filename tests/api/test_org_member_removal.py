"""LearnHouse ``DELETE /api/v1/orgs/{org_id}/users/{user_id}``: an admin removes a member."""

from __future__ import annotations

from typing import Any

from tests.api.test_orgs_api import issue_token
from tests.api.test_tenant_isolation import account


def user_id(client: Any, headers: dict[str, str]) -> int:
    return int(client.get("/api/v1/users/profile", headers=headers).json()["id"])


def member_ids(client: Any, headers: dict[str, str], org_id: int = 1) -> set[int]:
    response = client.get(f"/api/v1/orgs/{org_id}/users?limit=100", headers=headers)
    assert response.status_code == 200, response.text
    return {item["user"]["id"] for item in response.json()["items"]}


def test_an_admin_removes_a_member_who_then_loses_the_orgs_private_courses(client, api):
    admin = api.admin()
    private = api.create_course(admin, 1, name="Members only", public=False)
    member = api.member(1, "leaver@example.com")
    uid = user_id(client, member)
    assert client.get(f"/api/v1/courses/{private['course_uuid']}", headers=member).status_code == 200

    response = client.delete(f"/api/v1/orgs/1/users/{uid}", headers=admin)
    assert response.status_code == 200, response.text
    assert response.json() == {"detail": "User removed from org"}
    assert uid not in member_ids(client, admin)
    # No longer a member: the private course is closed, and so is the member list.
    assert client.get(f"/api/v1/courses/{private['course_uuid']}", headers=member).status_code == 404
    assert client.get("/api/v1/orgs/1/users", headers=member).status_code == 403
    again = client.delete(f"/api/v1/orgs/1/users/{uid}", headers=admin)
    assert again.status_code == 404 and again.json()["detail"] == "User not found"


def test_a_member_is_removed_by_user_uuid_too_and_unknown_users_are_404(client, api):
    admin = api.admin()
    member = api.member(1, "by-uuid@example.com")
    uuid = client.get("/api/v1/users/profile", headers=member).json()["user_uuid"]
    assert client.delete(f"/api/v1/orgs/1/users/{uuid}", headers=admin).status_code == 200
    for ref in ("999999", "user_00000000-0000-0000-0000-000000000000"):
        missing = client.delete(f"/api/v1/orgs/1/users/{ref}", headers=admin)
        assert missing.status_code == 404 and missing.json()["detail"] == "User not found", ref
    no_org = client.delete("/api/v1/orgs/777/users/1", headers=admin)
    assert no_org.status_code == 404 and no_org.json()["detail"] == "Organization not found"


def test_the_last_admin_cannot_be_removed_but_one_of_two_can(client, api):
    admin = api.admin()
    admin_id = user_id(client, admin)
    last = client.delete(f"/api/v1/orgs/1/users/{admin_id}", headers=admin)
    assert last.status_code == 400
    assert last.json() == {"detail": "You can't remove the last admin of the organization", "code": "LAST_ADMIN"}
    second = api.member(1, "co-admin@example.com")
    api.set_role(admin, 1, user_id(client, second), "role_global_admin")
    assert client.delete(f"/api/v1/orgs/1/users/{admin_id}", headers=second).status_code == 200
    assert admin_id not in member_ids(client, second)
    # The remaining admin is now the last one.
    alone = client.delete(f"/api/v1/orgs/1/users/{user_id(client, second)}", headers=second)
    assert alone.status_code == 400 and alone.json()["code"] == "LAST_ADMIN"


def test_only_holders_of_the_users_delete_right_remove_members(client, api):
    admin = api.admin()
    target = user_id(client, api.member(1, "target@example.com"))
    maintainer = api.member(1, "maintainer@example.com")
    api.set_role(admin, 1, user_id(client, maintainer), "role_global_maintainer")
    learner = api.member(1, "learner@example.com")
    for headers in (maintainer, learner):
        refused = client.delete(f"/api/v1/orgs/1/users/{target}", headers=headers)
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "FORBIDDEN"
    client.cookies.clear()
    anonymous = client.delete(f"/api/v1/orgs/1/users/{target}")
    assert anonymous.status_code == 401 and anonymous.json()["detail"] == "Authentication required"
    assert target in member_ids(client, admin)


def test_another_orgs_admin_cannot_remove_members_here(client, api):
    admin = api.admin()
    target = user_id(client, api.member(1, "stays@example.com"))
    outsider = account(client, "outsider@b.example")
    api.create_org(outsider, "org-b")
    refused = client.delete(f"/api/v1/orgs/1/users/{target}", headers=outsider)
    assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"
    # Naming org B in the path does not reach org 1's member either.
    other = client.get("/api/v1/orgs/slug/org-b").json()["id"]
    assert client.delete(f"/api/v1/orgs/{other}/users/{target}", headers=outsider).status_code == 404
    assert target in member_ids(client, admin)


def test_api_tokens_cannot_remove_members_and_a_removed_creators_token_stops(client, api):
    admin = api.admin()
    second = api.member(1, "token-owner@example.com")
    second_id = user_id(client, second)
    api.set_role(admin, 1, second_id, "role_global_admin")
    token = issue_token(client, second, 1)
    client.cookies.clear()
    assert client.get("/api/v1/courses/org_slug/default/count", headers=token).status_code == 200
    refused = client.delete(f"/api/v1/orgs/1/users/{user_id(client, admin)}", headers=token)
    assert refused.status_code == 403 and refused.json()["code"] == "TOKEN_NOT_ALLOWED"

    assert client.delete(f"/api/v1/orgs/1/users/{second_id}", headers=admin).status_code == 200
    client.cookies.clear()
    # The token acts for its creator, who holds no role in the org any more.
    stopped = client.get("/api/v1/courses/org_slug/default/count", headers=token)
    assert stopped.status_code == 403, stopped.text

"""LearnHouse ``GET/PUT/DELETE /api/v1/roles/{role_id}``: reading, changing and deleting a
custom role of an org."""

from __future__ import annotations

from typing import Any

from tests.api.test_roles_api import all_false
from tests.api.test_tenant_isolation import account


def user_id(client: Any, headers: dict[str, str]) -> int:
    return int(client.get("/api/v1/users/profile", headers=headers).json()["id"])


def create_role(client: Any, headers: dict[str, str], org_id: int = 1, name: str = "Reviewer",
                rights: dict[str, Any] | None = None) -> dict[str, Any]:
    if rights is None:
        rights = all_false()
        rights["courses"]["action_read"] = True
    response = client.post(
        f"/api/v1/roles/org/{org_id}",
        json={"name": name, "description": "Reads courses", "rights": rights},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_custom_role_is_read_by_id_and_uuid_and_builtins_by_id(client, api):
    admin = api.admin()
    role = create_role(client, admin)
    for ref in (role["id"], role["role_uuid"]):
        response = client.get(f"/api/v1/roles/{ref}", headers=admin)
        assert response.status_code == 200, response.text
        assert response.json() == role
    builtin = client.get("/api/v1/roles/4", headers=admin).json()
    assert (builtin["role_uuid"], builtin["name"], builtin["role_type"]) == ("role_global_user", "User", "TYPE_GLOBAL")
    missing = client.get("/api/v1/roles/999999", headers=admin)
    assert missing.status_code == 404 and missing.json()["detail"] == "Role not found"
    bad = client.get("/api/v1/roles/reviewer", headers=admin)
    assert bad.status_code == 400
    assert bad.json()["detail"] == "Invalid role ID format. Role ID must be a number."


def test_an_admin_updates_a_role_partially_and_members_holding_it_get_the_new_rights(client, api):
    admin = api.admin()
    role = create_role(client, admin)
    member = api.member(1, "reviewer@example.com")
    api.set_role(admin, 1, user_id(client, member), role["role_uuid"])
    creating = {"name": "Python", "description": "d", "about": "a", "public": "true"}
    files = {k: (None, v) for k, v in creating.items()}
    assert client.post("/api/v1/courses/?org_id=1", files=files, headers=member).status_code == 403

    rights = all_false()
    rights["courses"].update(action_read=True, action_create=True)
    response = client.put(
        f"/api/v1/roles/{role['id']}",
        json={"role_id": role["id"], "name": "Author", "rights": rights},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["name"], updated["description"]) == ("Author", "Reads courses")
    assert updated["rights"]["courses"]["action_create"] is True
    assert updated["role_uuid"] == role["role_uuid"] and updated["id"] == role["id"]
    assert client.get(f"/api/v1/roles/{role['role_uuid']}", headers=admin).json() == updated
    # The member's rights follow the role.
    assert client.post("/api/v1/courses/?org_id=1", files=files, headers=member).status_code == 200


def test_bad_role_updates_are_refused_with_the_field_named(client, api):
    admin = api.admin()
    role = create_role(client, admin)
    empty = client.put(f"/api/v1/roles/{role['id']}", json={"name": "  "}, headers=admin)
    assert empty.status_code == 422 and empty.json()["field"] == "name"
    builtin_name = client.put(f"/api/v1/roles/{role['id']}", json={"name": "Admin"}, headers=admin)
    assert builtin_name.status_code == 409 and builtin_name.json()["code"] == "ROLE_EXISTS"
    bad_rights = client.put(
        f"/api/v1/roles/{role['id']}", json={"rights": {"courses": {"action_fly": True}}}, headers=admin,
    )
    assert bad_rights.status_code == 422 and bad_rights.json()["field"] == "rights"
    wrong_type = client.put(f"/api/v1/roles/{role['id']}", json={"name": 7}, headers=admin)
    assert wrong_type.status_code == 422 and wrong_type.json()["field"] == "name"
    for ref in ("1", "role_global_admin"):
        fixed = client.put(f"/api/v1/roles/{ref}", json={"name": "Boss"}, headers=admin)
        assert fixed.status_code == 400, ref
        assert fixed.json() == {"detail": "Built-in roles cannot be changed", "code": "BUILTIN_ROLE"}
        assert client.delete(f"/api/v1/roles/{ref}", headers=admin).status_code == 400
    assert client.get(f"/api/v1/roles/{role['id']}", headers=admin).json() == role


def test_a_role_cannot_be_raised_beyond_the_editors_own_rights(client, api):
    admin = api.admin()
    editor_rights = all_false()
    editor_rights["roles"].update(action_read=True, action_update=True, action_delete=True)
    editor_role = create_role(client, admin, name="Role editor", rights=editor_rights)
    editor = api.member(1, "editor@example.com")
    api.set_role(admin, 1, user_id(client, editor), editor_role["role_uuid"])
    # Raising its own role to every right would make the editor an admin.
    everything = client.get("/api/v1/roles/1", headers=admin).json()["rights"]
    raised = client.put(f"/api/v1/roles/{editor_role['id']}", json={"rights": everything}, headers=editor)
    assert raised.status_code == 403, raised.text
    assert raised.json()["detail"].startswith("You cannot grant the right")
    # Nor may the editor change a role that holds rights the editor lacks.
    reviewer = create_role(client, admin, name="Reviewer")
    touched = client.put(f"/api/v1/roles/{reviewer['id']}", json={"name": "Mine"}, headers=editor)
    assert touched.status_code == 403
    assert touched.json()["detail"].startswith("You cannot change a role with the right")
    # Within its own rights it may.
    modest = all_false()
    modest["roles"]["action_read"] = True
    lesser = create_role(client, admin, name="Lesser", rights=modest)
    ok = client.put(f"/api/v1/roles/{lesser['id']}", json={"description": "renamed"}, headers=editor)
    assert ok.status_code == 200 and ok.json()["description"] == "renamed"


def test_members_without_the_roles_rights_and_anonymous_callers_are_refused(client, api):
    admin = api.admin()
    role = create_role(client, admin)
    learner = api.member(1, "plain@example.com")
    assert client.get(f"/api/v1/roles/{role['id']}", headers=learner).status_code == 200
    for method in ("PUT", "DELETE"):
        kwargs: dict[str, Any] = {"headers": learner}
        if method == "PUT":
            kwargs["json"] = {"name": "Mine"}
        refused = client.request(method, f"/api/v1/roles/{role['id']}", **kwargs)
        assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN", method
    client.cookies.clear()
    for method in ("GET", "PUT", "DELETE"):
        kwargs = {"json": {"name": "Mine"}} if method == "PUT" else {}
        anonymous = client.request(method, f"/api/v1/roles/{role['id']}", **kwargs)
        assert anonymous.status_code == 401, method
        assert anonymous.json()["detail"] == "Authentication required"
    assert client.get(f"/api/v1/roles/{role['id']}", headers=admin).json() == role


def test_another_orgs_admin_sees_nothing_of_a_role(client, api):
    admin = api.admin()
    role = create_role(client, admin)
    outsider = account(client, "outsider@b.example")
    api.create_org(outsider, "org-b")
    for method in ("GET", "PUT", "DELETE"):
        kwargs: dict[str, Any] = {"headers": outsider}
        if method == "PUT":
            kwargs["json"] = {"name": "Taken over"}
        response = client.request(method, f"/api/v1/roles/{role['role_uuid']}", **kwargs)
        assert response.status_code == 404, (method, response.text)
        assert response.json()["detail"] == "Role not found"
    assert client.get(f"/api/v1/roles/{role['id']}", headers=admin).json() == role


def test_a_role_is_deleted_once_no_member_holds_it(client, api):
    admin = api.admin()
    role = create_role(client, admin)
    member = api.member(1, "holder@example.com")
    uid = user_id(client, member)
    api.set_role(admin, 1, uid, role["role_uuid"])
    held = client.delete(f"/api/v1/roles/{role['id']}", headers=admin)
    assert held.status_code == 409
    assert held.json() == {
        "detail": "This role is held by 1 member(s); give them another role first", "code": "ROLE_IN_USE",
    }
    api.set_role(admin, 1, uid, "role_global_user")
    deleted = client.delete(f"/api/v1/roles/{role['id']}", headers=admin)
    assert deleted.status_code == 200
    assert deleted.headers["content-type"].startswith("application/json")
    assert deleted.json() == "Role deleted"
    assert client.get(f"/api/v1/roles/{role['id']}", headers=admin).status_code == 404
    listed = [r["role_uuid"] for r in client.get("/api/v1/roles/org/1", headers=admin).json()]
    assert role["role_uuid"] not in listed
    assert client.delete(f"/api/v1/roles/{role['id']}", headers=admin).status_code == 404
    assert client.put(f"/api/v1/roles/{role['id']}", json={"name": "Back"}, headers=admin).status_code == 404


def test_api_tokens_are_refused_on_the_role_routes(client, api):
    from tests.api.test_orgs_api import issue_token

    admin = api.admin()
    role = create_role(client, admin)
    token = issue_token(client, admin, 1)
    client.cookies.clear()
    for method in ("GET", "PUT", "DELETE"):
        kwargs: dict[str, Any] = {"headers": token}
        if method == "PUT":
            kwargs["json"] = {"name": "Token"}
        response = client.request(method, f"/api/v1/roles/{role['id']}", **kwargs)
        assert response.status_code == 403 and response.json()["code"] == "TOKEN_NOT_ALLOWED", method

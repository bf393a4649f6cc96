"""Seed 000 / LearnHouse roles: the four built-in roles and custom roles of an org."""

from __future__ import annotations

from typing import Any

CRUD = {"action_create", "action_read", "action_update", "action_delete"}
OWN = {"action_read_own", "action_update_own", "action_delete_own"}


def user_id(client: Any, headers: dict[str, str]) -> int:
    return int(client.get("/api/v1/users/profile", headers=headers).json()["id"])


def all_false() -> dict[str, dict[str, bool]]:
    return {"courses": {a: False for a in CRUD | OWN}, "roles": {a: False for a in CRUD}}


def test_builtin_roles_have_learnhouse_shape(client, api):
    response = client.get("/api/v1/roles/org/1", headers=api.admin())
    assert response.status_code == 200
    roles = response.json()
    assert [(r["id"], r["role_uuid"], r["name"]) for r in roles] == [
        (1, "role_global_admin", "Admin"),
        (2, "role_global_maintainer", "Maintainer"),
        (3, "role_global_instructor", "Instructor"),
        (4, "role_global_user", "User"),
    ]
    for role in roles:
        assert role["role_type"] == "TYPE_GLOBAL" and role["org_id"] is None
        rights = role["rights"]
        assert set(rights["courses"]) == CRUD | OWN
        for key in ("users", "usergroups", "collections", "organizations", "coursechapters",
                    "activities", "roles", "communities"):
            assert set(rights[key]) == CRUD, key
        for key in ("discussions", "podcasts", "boards"):
            assert set(rights[key]) == CRUD | OWN, key
        assert set(rights["dashboard"]) == {"action_access"}
        assert set(role) >= {"name", "description", "rights", "id", "org_id", "role_type",
                             "role_uuid", "creation_date", "update_date"}
    admin, maintainer, instructor, user = (r["rights"] for r in roles)
    assert all(all(v.values()) for v in admin.values())
    assert maintainer["organizations"] == {"action_create": False, "action_read": True,
                                           "action_update": False, "action_delete": False}
    assert instructor["courses"]["action_create"] and not instructor["courses"]["action_update"]
    assert instructor["courses"]["action_update_own"] and instructor["courses"]["action_delete_own"]
    assert not user["courses"]["action_create"] and not user["courses"]["action_update"]
    assert not user["dashboard"]["action_access"] and instructor["dashboard"]["action_access"]


def test_admin_creates_a_custom_role_listed_after_the_builtins(client, api):
    admin = api.admin()
    rights = all_false()
    rights["courses"]["action_read"] = True
    response = client.post(
        "/api/v1/roles/org/1",
        json={"name": "Reviewer", "description": "Reads everything", "rights": rights},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    role = response.json()
    assert role["name"] == "Reviewer" and role["description"] == "Reads everything"
    assert role["role_uuid"].startswith("role_") and role["org_id"] == 1
    assert role["role_type"] == "TYPE_ORGANIZATION"
    assert role["rights"]["courses"]["action_read"] is True
    assert role["rights"]["users"] == {a: False for a in CRUD}  # missing keys filled with false
    listed = client.get("/api/v1/roles/org/1", headers=admin).json()
    assert [r["role_uuid"] for r in listed][4:] == [role["role_uuid"]]
    # The role can be given to a member, whose rights then follow it.
    member = api.member(1, "reviewer@example.com")
    api.set_role(admin, 1, user_id(client, member), role["role_uuid"])
    members = client.get("/api/v1/orgs/1/users", headers=admin).json()["items"]
    assert {m["user"]["email"]: m["role"]["name"] for m in members}["reviewer@example.com"] == "Reviewer"
    refused = client.post(
        "/api/v1/courses/?org_id=1",
        files={"name": (None, "n"), "description": (None, "d"), "about": (None, "a")},
        headers=member,
    )
    assert refused.status_code == 403


def test_only_admins_create_roles(client, api):
    admin = api.admin()
    for role_uuid in ("role_global_maintainer", "role_global_instructor", "role_global_user"):
        email = f"{role_uuid}@example.com"
        member = api.member(1, email)
        if role_uuid != "role_global_user":
            api.set_role(admin, 1, user_id(client, member), role_uuid)
        response = client.post("/api/v1/roles/org/1", json={"name": "Mine", "rights": {}}, headers=member)
        assert response.status_code == 403, role_uuid
    client.cookies.clear()
    assert client.post("/api/v1/roles/org/1", json={"name": "Anon", "rights": {}}).status_code == 401


def test_rights_beyond_the_creators_are_refused(client, api):
    admin = api.admin()
    rights = all_false()
    rights["roles"].update(action_create=True, action_read=True)
    rights["courses"]["action_read"] = True
    delegate_role = client.post(
        "/api/v1/roles/org/1", json={"name": "Role manager", "rights": rights}, headers=admin
    ).json()
    delegate = api.member(1, "delegate@example.com")
    api.set_role(admin, 1, user_id(client, delegate), delegate_role["role_uuid"])
    within = all_false()
    within["courses"]["action_read"] = True
    ok = client.post("/api/v1/roles/org/1", json={"name": "Reader", "rights": within}, headers=delegate)
    assert ok.status_code == 200, ok.text
    beyond = all_false()
    beyond["courses"]["action_create"] = True
    refused = client.post("/api/v1/roles/org/1", json={"name": "Creator", "rights": beyond}, headers=delegate)
    assert refused.status_code == 403
    assert "courses.action_create" in refused.json()["detail"]


def test_custom_role_validation(client, api):
    admin = api.admin()
    for rights, where in (
        ({"courses": {"action_fly": True}}, "courses.action_fly"),
        ({"spaceships": {"action_read": True}}, "spaceships"),
        ({"courses": "all"}, "courses"),
        ({"courses": {"action_read": "yes"}}, "courses.action_read"),
    ):
        response = client.post("/api/v1/roles/org/1", json={"name": "Odd", "rights": rights}, headers=admin)
        assert response.status_code == 422, (rights, response.text)
        assert response.json()["field"] == "rights" and where in response.json()["detail"]
    blank = client.post("/api/v1/roles/org/1", json={"name": "  ", "rights": {}}, headers=admin)
    assert blank.status_code == 422 and blank.json()["field"] == "name"
    missing = client.post("/api/v1/roles/org/1", json={"rights": {}}, headers=admin)
    assert missing.status_code == 422 and missing.json()["field"] == "name"
    builtin = client.post("/api/v1/roles/org/1", json={"name": "Admin", "rights": {}}, headers=admin)
    assert builtin.status_code == 409


def test_roles_of_another_org_are_hidden(client, api):
    admin = api.admin()
    org = api.create_org(admin, "other-roles")
    stranger = api.member(1, "roles-stranger@example.com")
    assert client.get(f"/api/v1/roles/org/{org['id']}", headers=stranger).status_code == 403
    created = client.post(
        f"/api/v1/roles/org/{org['id']}", json={"name": "X", "rights": {}}, headers=stranger
    )
    assert created.status_code == 403
    missing = client.get("/api/v1/roles/org/4242", headers=admin)
    assert missing.status_code == 404 and missing.json()["detail"] == "Organization not found"
    # A custom role of org B cannot be given to a member of org A.
    role = client.post(
        f"/api/v1/roles/org/{org['id']}", json={"name": "Local", "rights": {}}, headers=admin
    ).json()
    response = client.put(
        f"/api/v1/orgs/1/users/{user_id(client, stranger)}/role/{role['role_uuid']}", headers=admin
    )
    assert response.status_code == 404 and response.json()["detail"] == "Role not found"


def test_a_role_manager_cannot_escalate(client, api):
    admin = api.admin()
    roles = client.get("/api/v1/roles/org/1", headers=admin).json()
    manager_rights = {k: dict(v) for k, v in roles[3]["rights"].items()}  # User's rights…
    manager_rights["roles"] = {a: True for a in CRUD}  # …plus managing roles
    manager_role = client.post(
        "/api/v1/roles/org/1", json={"name": "Role manager", "rights": manager_rights}, headers=admin
    ).json()
    reader_role = client.post(
        "/api/v1/roles/org/1",
        json={"name": "Reader", "rights": {"courses": {"action_read": True}}},
        headers=admin,
    ).json()
    manager = api.member(1, "manager@example.com")
    manager_id = user_id(client, manager)
    api.set_role(admin, 1, manager_id, manager_role["role_uuid"])
    learner_id = user_id(client, api.member(1, "learner2@example.com"))
    admin_id = user_id(client, admin)
    for target in ("role_global_admin", "role_global_instructor", "role_global_maintainer"):
        for who in (manager_id, learner_id):
            response = client.put(f"/api/v1/orgs/1/users/{who}/role/{target}", headers=manager)
            assert response.status_code == 403, (target, who)
    demote = client.put(f"/api/v1/orgs/1/users/{admin_id}/role/role_global_user", headers=manager)
    assert demote.status_code == 403
    # Within their own rights the manager may act.
    ok = client.put(f"/api/v1/orgs/1/users/{learner_id}/role/{reader_role['role_uuid']}", headers=manager)
    assert ok.status_code == 200, ok.text
    back = client.put(f"/api/v1/orgs/1/users/{learner_id}/role/role_global_user", headers=manager)
    assert back.status_code == 200

"""Headless administration with an API token: enroll, mark progress, read progress, unenroll —
each guarded by the token's ``trails`` rights; other orgs' tokens and members stay out."""

from __future__ import annotations

from tests.api.content_helpers import course_tree

CRUD = ("action_create", "action_read", "action_update", "action_delete")


def token_for(client, headers, rights, org_id=1, name="int"):
    response = client.post(f"/api/v1/orgs/{org_id}/api-tokens", json={"name": name, "rights": rights}, headers=headers)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_an_integration_enrolls_a_member_and_marks_progress(api, client):
    admin = api.admin()
    course, _, acts = course_tree(client, api, admin, activities=2)
    learner = api.signup(1, "learner@example.com")
    full = token_for(client, admin, {"courses": {"action_read": True}, "trails": dict.fromkeys(CRUD, True)})
    base = f"/api/v1/admin/default/courses/{course['course_uuid']}/users/{learner['id']}"

    assert client.get(base + "/progress", headers=full).status_code == 404  # not enrolled yet
    enrolled = client.put(base + "/enrollment", headers=full)
    assert enrolled.status_code == 200, enrolled.text
    assert enrolled.json()["status"] == "STATUS_IN_PROGRESS" and enrolled.json()["user_id"] == learner["id"]
    done = client.post(f"{base}/activities/{acts[0]['activity_uuid']}/complete", headers=full)
    assert done.status_code == 200 and done.json()["progress_percent"] == 50.0
    client.post(f"{base}/activities/{acts[1]['activity_uuid']}/complete", headers=full)
    progress = client.get(base + "/progress", headers=full).json()
    assert progress["status"] == "STATUS_COMPLETED" and progress["progress_percent"] == 100.0
    undone = client.delete(f"{base}/activities/{acts[1]['activity_uuid']}/complete", headers=full)
    assert undone.status_code == 200 and undone.json()["completed_activities"] == 1
    assert client.delete(base + "/enrollment", headers=full).json() == {"detail": "User unenrolled from the course"}
    assert client.get(base + "/progress", headers=full).status_code == 404
    assert client.delete(base + "/enrollment", headers=full).status_code == 404
    client.put(base + "/enrollment", headers=full)
    # An org admin's session may do the same.
    assert client.get(base + "/progress", headers=admin).status_code == 200


def test_every_admin_call_checks_the_tokens_trails_rights(api, client):
    admin = api.admin()
    course, _, acts = course_tree(client, api, admin, activities=1)
    learner = api.signup(1, "learner@example.com")
    base = f"/api/v1/admin/default/courses/{course['course_uuid']}/users/{learner['id']}"
    read_only = token_for(client, admin, {"courses": {"action_read": True}, "trails": {"action_read": True}}, name="ro")
    no_trails = token_for(client, admin, {"courses": {"action_read": True}}, name="none")
    assert client.put(base + "/enrollment", headers=read_only).status_code == 403
    assert client.put(base + "/enrollment", headers=no_trails).status_code == 403
    refused = client.get(base + "/progress", headers=no_trails)
    assert refused.status_code == 403 and "trails" in refused.json()["detail"]
    client.put(base + "/enrollment", headers=admin)
    assert client.get(base + "/progress", headers=read_only).status_code == 200
    assert client.post(f"{base}/activities/{acts[0]['activity_uuid']}/complete", headers=read_only).status_code == 403
    assert client.delete(base + "/enrollment", headers=read_only).status_code == 403
    client.cookies.clear()
    assert client.get(base + "/progress").status_code == 401
    # A plain member's session may not administer others.
    member = api.member(1, "member@example.com")
    assert client.get(base + "/progress", headers=member).status_code == 403


def test_other_orgs_stay_out(api, client):
    admin = api.admin()
    course, _, _ = course_tree(client, api, admin, activities=1)
    learner = api.signup(1, "learner@example.com")
    acme = api.create_org(admin, "acme")
    outsider = api.signup(acme["id"], "outsider@example.com")
    trails = {"courses": {"action_read": True}, "trails": dict.fromkeys(CRUD, True)}
    other = token_for(client, admin, trails, org_id=acme["id"], name="acme")
    mine = token_for(client, admin, trails, name="mine")
    base = f"/api/v1/admin/default/courses/{course['course_uuid']}/users/{learner['id']}"
    assert client.put(base + "/enrollment", headers=other).status_code in (403, 404)
    assert client.get(base + "/progress", headers=other).status_code in (403, 404)
    # Through its own org's slug, org B's token still cannot reach org A's course...
    cross = f"/api/v1/admin/acme/courses/{course['course_uuid']}/users/{learner['id']}/enrollment"
    assert client.put(cross, headers=other).status_code in (403, 404)
    # ...and org A's token cannot enroll a user who is not a member of org A.
    stranger = f"/api/v1/admin/default/courses/{course['course_uuid']}/users/{outsider['id']}/enrollment"
    assert client.put(stranger, headers=mine).status_code == 404

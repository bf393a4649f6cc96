"""``DELETE /api/v1/users/{user_id}``: a person is erased by destroying their key. Every read model
then shows "Erased user", their sessions end, their email can be registered again, and the log
keeps every event."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from domain.personal_data import ERASED_NAME
from infrastructure.session_keys import SessionKeys
from tests.api.assessment_support import respond as answer
from tests.api.assessment_support import sign_up, start, strong_answer

PASSWORD = "password-123"
PERSONAL = ("ada@example.com", "Lovelace", "Augusta", "Writes notes on engines", "ada.example/me.png")


def login(client: Any, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", data={"username": email, "password": password})
    client.cookies.clear()
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['tokens']['access_token']}"}


def login_status(client: Any, email: str) -> int:
    response = client.post("/api/v1/auth/login", data={"username": email, "password": PASSWORD})
    client.cookies.clear()
    return int(response.status_code)


def signup(client: Any, email: str, username: str, org_id: int = 1, **extra: str) -> dict[str, Any]:
    body = {"username": username, "email": email, "password": PASSWORD, **extra}
    response = client.post(f"/api/v1/users/{org_id}", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def erase(client: Any, user_id: int | str, headers: dict[str, str]) -> Any:
    return client.delete(f"/api/v1/users/{user_id}", headers=headers)


def members(client: Any, headers: dict[str, str], org_id: int = 1) -> dict[int, dict[str, Any]]:
    response = client.get(f"/api/v1/orgs/{org_id}/users?limit=100", headers=headers)
    assert response.status_code == 200, response.text
    return {item["user"]["id"]: item for item in response.json()["items"]}


def ada(client: Any, api: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """A member with every personal field filled in, who authored a course and enrolled in it."""
    user = signup(client, "ada@example.com", "ada", first_name="Augusta", last_name="Lovelace")
    headers = login(client, "ada@example.com")
    profile = client.put(
        f"/api/v1/users/{user['id']}", headers=headers,
        json={"bio": "Writes notes on engines", "avatar_image": "https://ada.example/me.png"},
    )
    assert profile.status_code == 200, profile.text
    api.set_role(login(client, "admin@example.com", "admin-password-1"), 1, user["id"], "role_global_instructor")
    return user, headers


def assert_erased(user: dict[str, Any]) -> None:
    assert user["username"] == ERASED_NAME and user["first_name"] == ERASED_NAME
    assert user["last_name"] == "" and user["bio"] == "" and user["avatar_image"] == ""
    assert user["email"].endswith("@erased.invalid")


def test_a_user_erases_themself_and_every_read_model_shows_erased_user(client, api, container):
    admin = login(client, "admin@example.com", "admin-password-1")
    user, headers = ada(client, api)
    course = api.create_course(headers, 1, name="Engines")
    client.cookies.clear()
    enrolled = client.post(f"/api/v1/trail/add_course/{course['course_uuid']}", headers=headers)
    assert enrolled.status_code == 200, enrolled.text

    response = erase(client, user["id"], headers)

    assert response.status_code == 200, response.text
    assert response.json() == {"detail": "User erased"}
    # Members list: still a member (a plain User), named by placeholders only.
    listed = members(client, admin)[user["id"]]
    assert_erased(listed["user"])
    assert listed["role"]["role_uuid"] == "role_global_user"
    # Course authors and the course's enrollments.
    got = client.get(f"/api/v1/courses/{course['course_uuid']}", headers=admin).json()
    assert_erased(got["authors"][0]["user"])
    learners = client.get(f"/api/v1/courses/{course['course_uuid']}/enrollments", headers=admin).json()
    assert [item["user"]["username"] for item in learners["items"]] == [ERASED_NAME]
    # Nothing personal anywhere in what the API answers.
    seen = json.dumps([listed, got, learners])
    assert not [value for value in PERSONAL if value in seen]
    # The log itself now reads as erased: the key is gone, not just the read models' copies.
    registered = container.events.history(UUID(user["user_uuid"].removeprefix("user_")))[0]
    assert (registered.email, registered.last_name) == (listed["user"]["email"], "")
    # The session is over, and so is signing in.
    assert client.get("/api/v1/orgs/1/users", headers=headers).status_code == 401
    assert login_status(client, "ada@example.com") == 401
    assert login_status(client, listed["user"]["email"]) == 401


def test_the_email_and_username_can_be_registered_again(client, api):
    user, headers = ada(client, api)
    assert erase(client, user["id"], headers).status_code == 200

    again = signup(client, "ada@example.com", "ada", first_name="Another")
    assert again["id"] != user["id"] and again["email"] == "ada@example.com"
    assert login_status(client, "ada@example.com") == 200
    # OpenLearning's registration takes a released email over as well.
    other = signup(client, "grace@example.com", "grace")
    assert erase(client, other["id"], login(client, "grace@example.com")).status_code == 200
    registered = client.post("/api/auth/register", json={"email": "grace@example.com", "password": PASSWORD})
    client.cookies.clear()
    assert registered.status_code == 200, registered.text
    # A held email is still refused.
    taken = client.post("/api/v1/users/1", json={"username": "x", "email": "ada@example.com", "password": PASSWORD})
    assert taken.status_code == 400 and taken.json()["detail"] == "Email already exists"


def test_an_org_admin_erases_a_member_of_their_org(client, api):
    admin = login(client, "admin@example.com", "admin-password-1")
    member = signup(client, "member@example.com", "member", last_name="Hopper")
    response = erase(client, member["user_uuid"], admin)  # by uuid as well as by id
    assert response.status_code == 200, response.text
    assert_erased(members(client, admin)[member["id"]]["user"])
    # Erasing again changes nothing and says so alike.
    assert erase(client, member["id"], admin).status_code == 200


def test_who_may_erase_whom(client, api):
    admin = login(client, "admin@example.com", "admin-password-1")
    target = signup(client, "target@example.com", "target")
    signup(client, "fellow@example.com", "fellow")
    fellow_headers = login(client, "fellow@example.com")
    # A member who is not an admin: 403.
    refused = erase(client, target["id"], fellow_headers)
    assert refused.status_code == 403, refused.text
    # A user of another org, sharing none with the target: as if the target did not exist.
    beta = api.create_org(admin, "beta")
    stranger = signup(client, "stranger@example.com", "stranger", org_id=beta["id"])
    api.set_role(admin, beta["id"], stranger["id"], "role_global_admin")
    hidden = erase(client, target["id"], login(client, "stranger@example.com"))
    assert hidden.status_code == 404 and hidden.json()["detail"] == "User not found"
    # Anonymous: 401; an API token: 403; an unknown user: 404.
    client.cookies.clear()
    assert erase(client, target["id"], {}).status_code == 401
    token = client.post(
        "/api/v1/orgs/1/api-tokens", json={"name": "t", "description": "", "expires_at": None}, headers=admin
    ).json()["token"]
    assert erase(client, target["id"], {"Authorization": f"Bearer {token}"}).status_code == 403
    assert erase(client, 999_999, admin).status_code == 404
    # Nobody above erased anyone.
    assert members(client, admin)[target["id"]]["user"]["username"] == "target"


def test_the_last_admin_is_not_erased_but_one_of_two_is(client, api):
    admin = login(client, "admin@example.com", "admin-password-1")
    admin_id = client.get("/api/v1/users/profile", headers=admin).json()["id"]
    last = erase(client, admin_id, admin)
    assert last.status_code == 409 and last.json()["code"] == "LAST_ADMIN"
    second = signup(client, "second@example.com", "second")
    api.set_role(admin, 1, second["id"], "role_global_admin")
    assert erase(client, admin_id, login(client, "second@example.com")).status_code == 200
    listed = members(client, login(client, "second@example.com"))
    assert listed[admin_id]["role"]["role_uuid"] == "role_global_user"
    assert_erased(listed[admin_id]["user"])


def test_an_admin_cannot_erase_an_admin_of_an_org_they_do_not_administer(client, api):
    admin = login(client, "admin@example.com", "admin-password-1")
    # ``owner`` founds org beta (its admin) and is a plain member of org 1.
    owner = signup(client, "owner@example.com", "owner")
    owner_headers = login(client, "owner@example.com")
    api.create_org(owner_headers, "beta")
    refused = erase(client, owner["id"], admin)
    assert refused.status_code == 403, refused.text
    assert members(client, admin)[owner["id"]]["user"]["username"] == "owner"


def test_erasure_makes_the_users_assessment_answers_unreadable(client, container):
    me = sign_up(client, "learner@example.com")
    session = start(client, me, skillIds=["python"], thoroughness="quick")
    reply = strong_answer(session["question"])
    answer(client, me, session["sessionId"], reply)
    keys = SessionKeys(container.read_store, container.secret_box)
    assert keys.cipher(session["sessionId"]) is not None
    user_id = client.get("/api/v1/users/profile", headers=me).json()["id"]

    assert erase(client, user_id, me).status_code == 200

    assert keys.cipher(session["sessionId"]) is None
    raw = b"".join(n.state for n in container.events.read_raw(0, limit=100_000))
    assert reply.encode() not in raw and b"learner@example.com" not in raw

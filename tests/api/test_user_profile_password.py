"""LearnHouse ``PUT /api/v1/users/{user_id}`` and ``PUT /api/v1/users/change_password/{user_id}``:
a user changes their own profile and password, and nobody else's."""

from __future__ import annotations

from typing import Any

from tests.api.test_orgs_api import issue_token
from tests.api.test_tenant_isolation import account
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD


def me(client: Any, headers: dict[str, str]) -> dict[str, Any]:
    response = client.get("/api/v1/users/profile", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def login_status(client: Any, email: str, password: str) -> int:
    response = client.post("/api/v1/auth/login", data={"username": email, "password": password})
    client.cookies.clear()
    return int(response.status_code)


def test_a_user_updates_their_own_profile_by_id_or_uuid(client, api):
    member = api.member(1, "kim@example.com")
    before = me(client, member)
    response = client.put(
        f"/api/v1/users/{before['id']}",
        json={"first_name": "Kim", "last_name": "Lee", "bio": "Learns Python", "details": {"x": 1}},
        headers=member,
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["first_name"], updated["last_name"], updated["bio"]) == ("Kim", "Lee", "Learns Python")
    assert (updated["username"], updated["email"], updated["id"]) == ("kim", "kim@example.com", before["id"])
    assert me(client, member) == updated
    # Fields left out are kept; the uuid names the user as well as the numeric id.
    again = client.put(f"/api/v1/users/{before['user_uuid']}", json={"last_name": "Park"}, headers=member)
    assert again.status_code == 200
    assert (again.json()["first_name"], again.json()["last_name"]) == ("Kim", "Park")
    # The org's member list shows the new name.
    listed = client.get("/api/v1/orgs/1/users", headers=api.admin()).json()["items"]
    assert {i["user"]["id"]: i["user"]["last_name"] for i in listed}[before["id"]] == "Park"


def test_a_new_email_signs_in_and_the_old_one_is_free_again(client, api):
    member = api.member(1, "old@example.com")
    uid = me(client, member)["id"]
    response = client.put(f"/api/v1/users/{uid}", json={"email": "New@Example.com", "username": "renamed"}, headers=member)
    assert response.status_code == 200, response.text
    assert (response.json()["email"], response.json()["username"]) == ("new@example.com", "renamed")
    assert login_status(client, "new@example.com", "password-123") == 200
    assert login_status(client, "old@example.com", "password-123") == 401
    # The given-up email and username can be taken by someone else.
    taken_over = client.post(
        "/api/v1/users/1", json={"username": "old", "email": "old@example.com", "password": "password-123"},
    )
    assert taken_over.status_code == 200, taken_over.text


def test_an_email_or_username_in_use_is_refused(client, api):
    api.member(1, "first@example.com")
    second = api.member(1, "second@example.com")
    uid = me(client, second)["id"]
    email = client.put(f"/api/v1/users/{uid}", json={"email": "FIRST@example.com"}, headers=second)
    assert email.status_code == 400
    assert email.json() == {"detail": "Email already exists", "code": "EMAIL_TAKEN"}
    username = client.put(f"/api/v1/users/{uid}", json={"username": "First"}, headers=second)
    assert username.status_code == 400
    assert username.json() == {"detail": "Username already exists", "code": "USERNAME_TAKEN"}
    assert me(client, second)["email"] == "second@example.com"


def test_bad_profile_input_is_422_with_the_field(client, api):
    member = api.member(1, "fields@example.com")
    uid = me(client, member)["id"]
    cases = [
        ({"email": "not-an-email"}, "email"),
        ({"username": "has space"}, "username"),
        ({"first_name": "x" * 101}, "first_name"),
        ({"bio": 42}, "bio"),
    ]
    for body, field in cases:
        response = client.put(f"/api/v1/users/{uid}", json=body, headers=member)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["field"] == field, body


def test_nobody_changes_another_users_profile_or_password(client, api):
    admin = api.admin()
    member = api.member(1, "victim@example.com")
    uid = me(client, member)["id"]
    outsider = account(client, "outsider@b.example")
    for headers in (admin, outsider):
        profile = client.put(f"/api/v1/users/{uid}", json={"email": "mine@example.com"}, headers=headers)
        assert profile.status_code == 403
        assert profile.json() == {"detail": "You can only change your own profile", "code": "NOT_YOUR_ACCOUNT"}
        password = client.put(
            f"/api/v1/users/change_password/{uid}",
            json={"old_password": "password-123", "new_password": "taken-over-1"},
            headers=headers,
        )
        assert password.status_code == 403
        assert password.json()["detail"] == "You can only change your own password"
    # An unknown id reads the same as another user's.
    unknown = client.put("/api/v1/users/999999", json={"bio": "x"}, headers=member)
    assert unknown.status_code == 403
    client.cookies.clear()
    anonymous = client.put(f"/api/v1/users/{uid}", json={"bio": "x"})
    assert anonymous.status_code == 401 and anonymous.json()["detail"] == "Authentication required"
    token = issue_token(client, admin, 1)
    client.cookies.clear()
    with_token = client.put(f"/api/v1/users/{uid}", json={"bio": "x"}, headers=token)
    assert with_token.status_code == 403 and with_token.json()["code"] == "TOKEN_NOT_ALLOWED"
    assert me(client, member)["email"] == "victim@example.com"
    assert login_status(client, "victim@example.com", "password-123") == 200


def test_changing_the_password_needs_the_current_one(client, api):
    member = api.member(1, "pw@example.com")
    uid = me(client, member)["id"]
    wrong = client.put(
        f"/api/v1/users/change_password/{uid}",
        json={"old_password": "not-it-at-all", "new_password": "brand-new-pass"},
        headers=member,
    )
    assert wrong.status_code == 401
    assert wrong.json() == {"detail": "Wrong password", "code": "WRONG_PASSWORD"}
    short = client.put(
        f"/api/v1/users/change_password/{uid}",
        json={"old_password": "password-123", "new_password": "short"},
        headers=member,
    )
    assert short.status_code == 400 and short.json()["code"] == "INVALID_PASSWORD"
    missing = client.put(f"/api/v1/users/change_password/{uid}", json={"old_password": "password-123"}, headers=member)
    assert missing.status_code == 422 and missing.json()["field"] == "new_password"
    assert login_status(client, "pw@example.com", "password-123") == 200

    changed = client.put(
        f"/api/v1/users/change_password/{uid}",
        json={"old_password": "password-123", "new_password": "brand-new-pass"},
        headers=member,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["email"] == "pw@example.com" and "password" not in changed.text
    assert login_status(client, "pw@example.com", "password-123") == 401
    assert login_status(client, "pw@example.com", "brand-new-pass") == 200


def test_wrong_current_passwords_count_as_failed_sign_ins(client, api, settings):
    member = api.member(1, "guess@example.com")
    uid = me(client, member)["id"]
    for n in range(settings.login_max_failures):
        guess = client.put(
            f"/api/v1/users/change_password/{uid}",
            json={"old_password": f"guess-{n}-wrong", "new_password": "brand-new-pass"},
            headers=member,
        )
        assert guess.status_code == 401, guess.text
    right = client.put(
        f"/api/v1/users/change_password/{uid}",
        json={"old_password": "password-123", "new_password": "brand-new-pass"},
        headers=member,
    )
    assert right.status_code == 429, right.text
    assert "Retry-After" in right.headers
    # One throttle: the sign-in form is closed to this account from here as well, and nothing
    # was changed; other accounts still sign in from the same address.
    assert login_status(client, "guess@example.com", "password-123") == 429
    assert login_status(client, ADMIN_EMAIL, ADMIN_PASSWORD) == 200


def test_an_email_given_up_can_be_registered_through_openlearning(client, api):
    member = api.member(1, "given-up@example.com")
    uid = me(client, member)["id"]
    moved = client.put(f"/api/v1/users/{uid}", json={"email": "kept@example.com"}, headers=member)
    assert moved.status_code == 200, moved.text
    client.cookies.clear()
    registered = client.post(
        "/api/auth/register", json={"email": "Given-Up@example.com", "password": "another-pass-1"}
    )
    assert registered.status_code == 200, registered.text
    client.cookies.clear()
    assert login_status(client, "given-up@example.com", "another-pass-1") == 200
    assert login_status(client, "kept@example.com", "password-123") == 200
    # Taken again, it is refused to a third person as any email in use.
    again = client.post("/api/auth/register", json={"email": "given-up@example.com", "password": "third-pass-12"})
    assert again.status_code == 409, again.text

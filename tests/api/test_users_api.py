"""Seed 000 / LearnHouse users: signup into an org and the caller's profile."""

from __future__ import annotations

from typing import Any


def signup(client: Any, org: int | str, **body: Any) -> Any:
    payload = {"username": "newbie", "email": "newbie@example.com", "password": "password-123"}
    payload.update(body)
    return client.post(f"/api/v1/users/{org}", json=payload)


def test_signup_returns_user_read_and_joins_as_user(client, api):
    response = signup(client, 1, first_name="New", last_name="Bie")
    assert response.status_code == 200, response.text
    user = response.json()
    assert user["username"] == "newbie" and user["email"] == "newbie@example.com"
    assert (user["first_name"], user["last_name"]) == ("New", "Bie")
    assert user["user_uuid"].startswith("user_") and isinstance(user["id"], int)
    assert user["email_verified"] is False
    assert "password" not in user and "password_hash" not in user
    members = client.get("/api/v1/orgs/1/users", headers=api.admin()).json()["items"]
    roles = {m["user"]["email"]: m["role"]["role_uuid"] for m in members}
    assert roles["newbie@example.com"] == "role_global_user"
    # The new account can sign in.
    assert api.login("newbie@example.com", "password-123")


def test_signup_by_org_uuid(client, api):
    org = client.get("/api/v1/orgs/1").json()
    assert signup(client, org["org_uuid"]).status_code == 200


def test_signup_errors(client, api):
    assert signup(client, 1).status_code == 200
    email = signup(client, 1, username="other")
    assert email.status_code == 400
    assert email.json() == {"detail": "Email already exists", "code": "EMAIL_TAKEN"}
    upper = signup(client, 1, username="other", email="NEWBIE@example.com")
    assert upper.status_code == 400 and upper.json()["detail"] == "Email already exists"
    username = signup(client, 1, email="other@example.com")
    assert username.status_code == 400
    assert username.json() == {"detail": "Username already exists", "code": "USERNAME_TAKEN"}
    # LearnHouse checks the username first.
    both = signup(client, 1)
    assert both.json()["detail"] == "Username already exists"
    no_org = signup(client, 4242, username="x1", email="x1@example.com")
    assert no_org.status_code == 400
    assert no_org.json() == {"detail": "Organization does not exist", "code": "BAD_REQUEST"}
    short = signup(client, 1, username="x2", email="x2@example.com", password="short")
    assert short.status_code == 400
    assert short.json()["detail"] == "Password must be between 8 and 128 characters"
    bad_email = signup(client, 1, username="x3", email="nope")
    assert bad_email.status_code == 422 and bad_email.json()["field"] == "email"
    missing = client.post("/api/v1/users/1", json={"email": "x4@example.com", "password": "password-123"})
    assert missing.status_code == 422 and missing.json()["field"] == "username"


def test_profile_anonymous_and_signed_in(client, api):
    client.cookies.clear()
    anonymous = client.get("/api/v1/users/profile")
    assert anonymous.status_code == 200
    assert anonymous.json() == {"id": 0, "user_uuid": "user_anonymous", "username": "anonymous"}
    admin = api.admin()
    client.cookies.clear()
    me = client.get("/api/v1/users/profile", headers=admin).json()
    assert me["email"] == "admin@example.com" and me["id"] > 0
    assert "password_hash" not in me
    # The LearnHouse cookie works as well as the bearer header.
    api.admin()
    assert client.get("/api/v1/users/profile").json()["email"] == "admin@example.com"


def test_profile_with_a_bad_token_is_401(client):
    response = client.get("/api/v1/users/profile", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Could not validate credentials", "code": "UNAUTHENTICATED"}

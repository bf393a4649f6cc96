"""Seed 000 / LearnHouse sign-in as a client sees it: form login, refresh, logout, lockout."""

from __future__ import annotations

from typing import Any

ADMIN_EMAIL = "admin@example.com"  # tests/conftest.py
ADMIN_PASSWORD = "admin-password-1"

LOGIN = "/api/v1/auth/login"


def set_cookie_headers(response: Any) -> list[str]:
    return [v for k, v in response.headers.multi_items() if k.lower() == "set-cookie"]


def cookie_header(response: Any, name: str) -> str:
    found = [h for h in set_cookie_headers(response) if h.startswith(f"{name}=")]
    assert found, f"no Set-Cookie for {name}: {set_cookie_headers(response)}"
    return found[0]


def test_login_returns_user_and_tokens_and_sets_httponly_cookies(client):
    response = client.post(LOGIN, data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"user", "tokens"}
    assert set(body["tokens"]) == {"access_token", "refresh_token", "expiry"}
    assert isinstance(body["tokens"]["expiry"], int) and body["tokens"]["expiry"] > 10**12
    user = body["user"]
    assert user["email"] == ADMIN_EMAIL
    assert user["user_uuid"].startswith("user_")
    for field in ("id", "username", "first_name", "last_name", "avatar_image", "bio", "details",
                  "profile", "email_verified", "is_superadmin"):
        assert field in user
    assert "password_hash" not in user and "password" not in user
    for name in ("access_token_cookie", "refresh_token_cookie"):
        header = cookie_header(response, name).lower()
        assert "httponly" in header and "samesite=lax" in header
        assert "secure" not in header.replace("samesite", "")  # plain http in tests


def test_login_cookie_is_secure_behind_https(client):
    response = client.post(
        LOGIN,
        data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        headers={"X-Forwarded-Proto": "https"},
    )
    assert response.status_code == 200
    assert "secure" in cookie_header(response, "access_token_cookie").lower().split("; ")


def test_bad_credentials_are_indistinguishable(client):
    wrong = client.post(LOGIN, data={"username": ADMIN_EMAIL, "password": "not-the-password"})
    unknown = client.post(LOGIN, data={"username": "ghost@example.com", "password": "whatever-1"})
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json() == {
            "detail": "Incorrect Email or password", "code": "INVALID_CREDENTIALS"
        }
    assert wrong.content == unknown.content


def test_login_form_fields_are_required(client):
    response = client.post(LOGIN, data={"username": ADMIN_EMAIL})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR" and "password" in body["detail"]
    assert body["field"] == "password"


def test_repeated_failures_lock_this_address_out_of_the_account(client, settings):
    statuses = [
        client.post(LOGIN, data={"username": ADMIN_EMAIL, "password": f"wrong-{i}"}).status_code
        for i in range(settings.login_max_failures)
    ]
    assert statuses == [401] * settings.login_max_failures
    locked = client.post(LOGIN, data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    assert locked.json()["code"] and isinstance(locked.json()["detail"], str)
    # The lock is per account and address (the test client is one address): another account
    # still signs in from here. Other addresses: tests/integration/test_login_throttle_api.py.
    client.post("/api/auth/register", json={"email": "other@example.com", "password": "password-123"})
    ok = client.post(LOGIN, data={"username": "other@example.com", "password": "password-123"})
    assert ok.status_code == 200


def test_refresh_from_cookie_and_from_bearer(client):
    login = client.post(LOGIN, data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    refresh_token = login.json()["tokens"]["refresh_token"]
    by_cookie = client.get("/api/v1/auth/refresh")  # the client keeps refresh_token_cookie
    assert by_cookie.status_code == 200, by_cookie.text
    assert set(by_cookie.json()) == {"access_token", "expiry"}
    cookie_header(by_cookie, "access_token_cookie")
    client.cookies.clear()
    by_bearer = client.get(
        "/api/v1/auth/refresh", headers={"Authorization": f"Bearer {refresh_token}"}
    )
    assert by_bearer.status_code == 200, by_bearer.text
    new_access = by_bearer.json()["access_token"]
    profile = client.get(
        "/api/v1/users/profile", headers={"Authorization": f"Bearer {new_access}"}
    )
    assert profile.json()["email"] == ADMIN_EMAIL


def test_refresh_refuses_missing_or_access_tokens(client):
    assert client.get("/api/v1/auth/refresh").json() == {
        "detail": "Invalid credentials", "code": "UNAUTHENTICATED"
    }
    access = client.post(
        LOGIN, data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    ).json()["tokens"]["access_token"]
    client.cookies.clear()
    response = client.get("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {access}"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_logout_revokes_the_session(client):
    tokens = client.post(
        LOGIN, data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    ).json()["tokens"]
    client.cookies.clear()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/api/v1/users/profile", headers=bearer).status_code == 200
    out = client.delete("/api/v1/auth/logout", headers=bearer)
    assert out.status_code == 200
    assert out.json() == {"msg": "Successfully logout"}
    again = client.get("/api/v1/users/profile", headers=bearer)
    assert again.status_code == 401
    assert again.json() == {"detail": "Could not validate credentials", "code": "UNAUTHENTICATED"}
    assert again.headers["www-authenticate"] == "Bearer"
    refreshed = client.get(
        "/api/v1/auth/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}
    )
    assert refreshed.status_code == 401


def test_logout_without_a_session_is_401(client):
    response = client.delete("/api/v1/auth/logout")
    assert response.status_code == 401
    assert response.json()["detail"] == "Not authenticated"


def test_logout_by_cookie_clears_both_cookies(client):
    client.post(LOGIN, data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    out = client.delete("/api/v1/auth/logout")
    assert out.status_code == 200
    for name in ("access_token_cookie", "refresh_token_cookie"):
        header = cookie_header(out, name).lower()
        assert "max-age=0" in header or "expires=thu, 01 jan 1970" in header

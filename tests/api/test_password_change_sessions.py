"""A password change ends every other session of the user (access and refresh tokens alike);
the session that made the change goes on with fresh cookies."""

from __future__ import annotations

from typing import Any

from tests.api.test_user_profile_password import login_status, me

EMAIL, OLD, NEW = "moved@example.com", "password-123", "brand-new-pass"


def sign_in(client: Any, email: str = EMAIL, password: str = OLD) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    client.cookies.clear()
    return dict(response.json()["tokens"])


def bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def refreshed(client: Any, tokens: dict[str, str]) -> int:
    response = client.get("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    client.cookies.clear()
    return int(response.status_code)


def change(client: Any, uid: int, **kwargs: Any) -> Any:
    return client.put(
        f"/api/v1/users/change_password/{uid}", json={"old_password": OLD, "new_password": NEW}, **kwargs
    )


def test_a_password_change_ends_the_other_sessions(client: Any, api: Any) -> None:
    api.signup(1, EMAIL)
    elsewhere = sign_in(client)  # say, a stolen laptop
    here = sign_in(client)
    uid = me(client, bearer(here))["id"]
    assert me(client, bearer(elsewhere))["email"] == EMAIL and refreshed(client, elsewhere) == 200

    # The browser that changes the password signs in with its cookies.
    client.cookies.set("access_token_cookie", here["access_token"])
    client.cookies.set("refresh_token_cookie", here["refresh_token"])
    changed = change(client, uid)
    assert changed.status_code == 200, changed.text
    assert {"access_token_cookie", "refresh_token_cookie"} <= set(changed.cookies)

    # That browser goes on, on its new cookies (the client keeps them).
    assert client.get("/api/v1/users/profile").json()["email"] == EMAIL
    assert client.get("/api/v1/auth/refresh").status_code == 200
    client.cookies.clear()
    # Every token made before the change is dead: access and refresh, of both sessions.
    for old in (elsewhere, here):
        shut = client.get("/api/auth/me", headers=bearer(old))
        assert shut.status_code == 401, shut.text
        assert client.get("/api/v1/users/profile", headers=bearer(old)).status_code == 401
        assert refreshed(client, old) == 401
    # A new sign-in takes the new password only.
    assert login_status(client, EMAIL, OLD) == 401
    assert me(client, bearer(sign_in(client, password=NEW)))["email"] == EMAIL


def test_a_header_signed_change_keeps_the_cookies_it_did_not_sign_in_with(client: Any, api: Any) -> None:
    api.signup(1, EMAIL)
    tokens = sign_in(client)
    uid = me(client, bearer(tokens))["id"]
    client.cookies.set("access_token_cookie", "someone-elses-cookie")
    changed = change(client, uid, headers=bearer(tokens))
    assert changed.status_code == 200, changed.text
    assert "access_token_cookie" not in changed.cookies
    assert client.cookies.get("access_token_cookie") == "someone-elses-cookie"
    # The header's own session ended with the change: it signs in again.
    client.cookies.clear()
    assert client.get("/api/auth/me", headers=bearer(tokens)).status_code == 401


def test_sessions_survive_a_profile_change(client: Any, api: Any) -> None:
    api.signup(1, EMAIL)
    tokens = sign_in(client)
    uid = me(client, bearer(tokens))["id"]
    updated = client.put(f"/api/v1/users/{uid}", json={"bio": "hello"}, headers=bearer(tokens))
    assert updated.status_code == 200, updated.text
    assert me(client, bearer(tokens))["bio"] == "hello"
    assert refreshed(client, tokens) == 200


def test_an_openlearning_cookie_session_goes_on_after_its_own_change(client: Any, api: Any) -> None:
    api.signup(1, EMAIL)
    signed_in = client.post("/api/auth/login", json={"email": EMAIL, "password": OLD})
    assert signed_in.status_code == 200, signed_in.text
    before = client.cookies.get("access_token")
    uid = client.get("/api/v1/users/profile").json()["id"]
    changed = change(client, uid)
    assert changed.status_code == 200, changed.text
    assert set(changed.cookies) == {"access_token"}
    assert client.get("/api/auth/me").json()["email"] == EMAIL
    client.cookies.clear()
    assert client.get("/api/auth/me", headers=bearer({"access_token": before})).status_code == 401

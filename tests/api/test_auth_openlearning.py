"""Seed 002 / OpenLearning accounts: register, login, me, logout with the access_token cookie."""

from __future__ import annotations

from typing import Any

REGISTER = "/api/auth/register"
LOGIN = "/api/auth/login"
ME = "/api/auth/me"
LOGOUT = "/api/auth/logout"


def access_cookie(response: Any) -> str:
    found = [
        v for k, v in response.headers.multi_items()
        if k.lower() == "set-cookie" and v.startswith("access_token=")
    ]
    assert found, "no access_token cookie set"
    return found[0]


def test_register_sets_an_httponly_lax_cookie_and_me_reads_it(client):
    response = client.post(REGISTER, json={"email": "Ada@Example.com", "password": "securepassword"})
    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True}
    cookie = access_cookie(response).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    me = client.get(ME)
    assert me.status_code == 200, me.text
    body = me.json()
    assert set(body) == {"userId", "displayName", "avatarUrl", "hasApiKey", "email"}
    assert body["email"] == "ada@example.com"
    assert body["displayName"] and body["hasApiKey"] is False
    assert isinstance(body["avatarUrl"], str)


def test_register_password_length_rule(client):
    for password in ("short", "x" * 129):
        response = client.post(REGISTER, json={"email": "a@example.com", "password": password})
        assert response.status_code == 400
        assert response.json()["detail"] == "Password must be between 8 and 128 characters"
    assert client.post(REGISTER, json={"email": "b@example.com", "password": "x" * 128}).status_code == 200


def test_register_duplicate_email_is_409_whatever_the_case(client):
    assert client.post(REGISTER, json={"email": "dup@example.com", "password": "password-1"}).status_code == 200
    again = client.post(REGISTER, json={"email": "DUP@example.com", "password": "password-2"})
    assert again.status_code == 409
    assert again.json() == {
        "detail": "An account with this email already exists", "code": "EMAIL_TAKEN"
    }


def test_register_invalid_email_is_422_naming_email(client):
    for email in ("not-an-email", "a@b", "", "two@@example.com"):
        response = client.post(REGISTER, json={"email": email, "password": "password-1"})
        assert response.status_code == 422, (email, response.text)
        assert response.json()["field"] == "email"
        assert response.json()["code"] == "VALIDATION_ERROR"
    missing = client.post(REGISTER, json={"password": "password-1"})
    assert missing.status_code == 422 and missing.json()["field"] == "email"


def test_a_validation_error_is_fastapis_standard_one(client):
    # Seed 002: "Response (422 — invalid email format): Standard FastAPI validation error."
    invalid = client.post(REGISTER, json={"email": "not-an-email", "password": "password-1"})
    assert invalid.status_code == 422
    [problem] = invalid.json()["detail"]
    assert problem["loc"] == ["body", "email"] and problem["type"] == "value_error"
    assert "valid email" in problem["msg"]
    missing = client.post(REGISTER, json={"password": "password-1"})
    [problem] = missing.json()["detail"]
    assert problem == {"type": "missing", "loc": ["body", "email"], "msg": "Field required", "input": None}
    # The LearnHouse routes keep one sentence.
    learnhouse = client.post("/api/v1/auth/login", data={"username": "someone@example.com"})
    assert learnhouse.status_code == 422 and isinstance(learnhouse.json()["detail"], str), learnhouse.text


def test_login_sets_cookie_and_bad_credentials_are_401(client):
    client.post(REGISTER, json={"email": "lin@example.com", "password": "password-1"})
    client.cookies.clear()
    ok = client.post(LOGIN, json={"email": "lin@example.com", "password": "password-1"})
    assert ok.status_code == 200 and ok.json() == {"ok": True}
    assert "httponly" in access_cookie(ok).lower()
    assert client.get(ME).json()["email"] == "lin@example.com"
    client.cookies.clear()
    for email, password in (("lin@example.com", "wrong-pass"), ("nobody@example.com", "password-1")):
        bad = client.post(LOGIN, json={"email": email, "password": password})
        assert bad.status_code == 401
        assert bad.json()["detail"] == "Invalid email or password"
        assert bad.headers["www-authenticate"] == "Bearer"


def test_me_without_cookie_is_401(client):
    response = client.get(ME)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert isinstance(response.json()["detail"], str) and response.json()["code"]
    garbage = client.get(ME, cookies={"access_token": "not-a-jwt"})
    assert garbage.status_code == 401


def test_logout_clears_the_cookie_and_revokes_the_session(client):
    client.post(REGISTER, json={"email": "out@example.com", "password": "password-1"})
    token = client.cookies.get("access_token")
    assert token
    out = client.post(LOGOUT)
    assert out.status_code == 200 and out.json() == {"ok": True}
    cleared = access_cookie(out).lower()
    assert "max-age=0" in cleared or "1970" in cleared
    client.cookies.clear()
    assert client.get(ME, cookies={"access_token": token}).status_code == 401


def test_logout_succeeds_with_an_invalid_or_missing_cookie(client):
    assert client.post(LOGOUT).json() == {"ok": True}
    for bad in ("garbage", "eyJhbGciOiJIUzI1NiJ9.e30.invalid"):
        client.cookies.clear()
        response = client.post(LOGOUT, cookies={"access_token": bad})
        assert response.status_code == 200, response.text
        assert response.json() == {"ok": True}
    # Logging out twice with the same (now revoked) cookie is fine too.
    client.cookies.clear()
    client.post(REGISTER, json={"email": "twice@example.com", "password": "password-1"})
    token = client.cookies.get("access_token")
    assert client.post(LOGOUT).status_code == 200
    client.cookies.clear()
    assert client.post(LOGOUT, cookies={"access_token": token}).status_code == 200


def test_same_user_can_log_in_both_ways(client):
    client.post(REGISTER, json={"email": "both@example.com", "password": "password-1"})
    client.cookies.clear()
    lh = client.post("/api/v1/auth/login", data={"username": "both@example.com", "password": "password-1"})
    assert lh.status_code == 200
    user = lh.json()["user"]
    client.cookies.clear()
    assert client.post(LOGIN, json={"email": "both@example.com", "password": "password-1"}).status_code == 200
    me = client.get(ME).json()
    assert user["user_uuid"].removeprefix("user_") == me["userId"]
    # And the LearnHouse bearer token is accepted by /api/auth/me as well.
    client.cookies.clear()
    bearer = {"Authorization": f"Bearer {lh.json()['tokens']['access_token']}"}
    assert client.get(ME, headers=bearer).json()["email"] == "both@example.com"


def test_routes_that_need_a_session_answer_401_before_they_read_a_bad_body(client):
    # Seed 002: "Returns 401 without a valid JWT cookie". FastAPI checks the cookie before the
    # body, so a client sending no cookie and an empty body expects 401, not 422.
    for path in (
        "/api/assessment/start", "/api/assessment/some-session/respond", "/api/gap-analysis",
        "/api/learning-plan", "/api/auth/api-key", "/api/auth/validate-key",
    ):
        for body in ({}, {"unexpected": 1}):
            response = client.post(path, json=body)
            assert response.status_code == 401, (path, body, response.text)
            assert response.json()["detail"] == "Not authenticated"
    # Signed in, the same bad body is a validation error.
    client.post(REGISTER, json={"email": "body@example.com", "password": "password-1"})
    assert client.post("/api/assessment/start", json={}).status_code == 422

"""An ``lh_`` API token sent in a cookie meets the same guards as one in the Authorization
header: refused on the routes that need a user session, accepted (with its rights) on
resource routes. When both are sent, the header is the credential, for every check."""

from __future__ import annotations

from typing import Any

import pytest

COOKIES = ("access_token_cookie", "access_token")  # LearnHouse's and OpenLearning's
SESSION_ONLY = [
    ("GET", "/api/v1/orgs/1/api-tokens", None),
    ("POST", "/api/v1/orgs/1/api-tokens", {"name": "minted by a token"}),
    ("GET", "/api/v1/users/profile", None),
    ("GET", "/api/v1/orgs/1", None),
    ("GET", "/api/v1/orgs/1/users", None),
]
ALL_RIGHTS = {
    resource: {a: True for a in ("action_create", "action_read", "action_update", "action_delete")}
    for resource in ("courses", "coursechapters", "activities", "collections", "trails")
}


def issue_token(client: Any, admin: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/orgs/1/api-tokens", json={"name": "cookie test", "rights": ALL_RIGHTS, **body},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def send(client: Any, method: str, path: str, body: Any = None, cookie: tuple[str, str] | None = None,
         headers: dict[str, str] | None = None) -> Any:
    """One request carrying exactly the credentials given (the client's jar is emptied)."""
    client.cookies.clear()
    sent = dict(headers or {})
    if cookie is not None:
        sent["Cookie"] = f"{cookie[0]}={cookie[1]}"
    return client.request(method, path, json=body, headers=sent)


@pytest.fixture
def admin(api: Any) -> dict[str, str]:
    return dict(api.admin())


@pytest.fixture
def token(client: Any, admin: dict[str, str]) -> str:
    return str(issue_token(client, admin)["token"])


@pytest.mark.parametrize("cookie_name", COOKIES)
@pytest.mark.parametrize(("method", "path", "body"), SESSION_ONLY)
def test_a_token_in_a_cookie_is_refused_where_a_session_is_needed(
    client: Any, token: str, cookie_name: str, method: str, path: str, body: Any
):
    by_header = send(client, method, path, body, headers={"Authorization": f"Bearer {token}"})
    by_cookie = send(client, method, path, body, cookie=(cookie_name, token))
    for response in (by_header, by_cookie):
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "TOKEN_NOT_ALLOWED"


def test_a_token_in_a_cookie_mints_no_tokens(client: Any, admin: dict[str, str], token: str):
    send(client, "POST", "/api/v1/orgs/1/api-tokens", {"name": "escalate"}, cookie=("access_token_cookie", token))
    listed = send(client, "GET", "/api/v1/orgs/1/api-tokens", headers=admin).json()
    assert [t["name"] for t in listed] == ["cookie test"]


@pytest.mark.parametrize("cookie_name", COOKIES)
def test_a_token_in_a_cookie_works_on_resource_routes_like_one_in_the_header(
    api: Any, client: Any, admin: dict[str, str], token: str, cookie_name: str
):
    private = api.create_course(admin, name="Private course", public=False)
    path = f"/api/v1/courses/{private['course_uuid']}"
    anonymous = send(client, "GET", path)
    assert anonymous.status_code in (401, 403, 404)
    by_header = send(client, "GET", path, headers={"Authorization": f"Bearer {token}"})
    by_cookie = send(client, "GET", path, cookie=(cookie_name, token))
    assert by_header.status_code == by_cookie.status_code == 200
    assert by_cookie.json() == by_header.json()
    assert by_cookie.json()["course_uuid"] == private["course_uuid"]


@pytest.mark.parametrize("cookie_name", COOKIES)
def test_a_revoked_token_in_a_cookie_is_refused_like_one_in_the_header(
    client: Any, admin: dict[str, str], cookie_name: str
):
    revoked = issue_token(client, admin, name="revoked")
    assert send(client, "DELETE", f"/api/v1/orgs/1/api-tokens/{revoked['token_uuid']}", headers=admin).status_code == 200
    path = "/api/v1/courses/org_slug/default/page/1/limit/10"
    by_header = send(client, "GET", path, headers={"Authorization": f"Bearer {revoked['token']}"})
    by_cookie = send(client, "GET", path, cookie=(cookie_name, revoked["token"]))
    assert by_header.status_code == by_cookie.status_code == 401


def test_the_header_is_the_credential_when_both_are_sent(client: Any, admin: dict[str, str], token: str):
    profile = "/api/v1/users/profile"
    session_token = admin["Authorization"].removeprefix("Bearer ")
    # A session in the header, a token in the cookie: the session is judged, and it may.
    session_wins = send(client, "GET", profile, headers=admin, cookie=("access_token_cookie", token))
    assert session_wins.status_code == 200 and session_wins.json()["email"] == "admin@example.com"
    # A token in the header, a session in the cookie: the token is judged, and may not.
    token_wins = send(client, "GET", profile, headers={"Authorization": f"Bearer {token}"},
                      cookie=("access_token", session_token))
    assert token_wins.status_code == 403 and token_wins.json()["code"] == "TOKEN_NOT_ALLOWED"


def test_openlearning_me_refuses_a_token_cookie(client: Any, token: str):
    me = send(client, "GET", "/api/auth/me", cookie=("access_token", token))
    assert me.status_code == 401

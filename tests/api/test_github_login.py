"""Sign in with GitHub (seed 002) against a local fake GitHub: the 302 to the authorize page
with a signed, expiring state; the callback's cookie and relative redirect; one user per GitHub
account however often it signs in; bad, expired or foreign states, open redirects, refused codes
and an unreachable GitHub; 501 when not configured."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from domain.claims import UniqueClaim
from infrastructure.oauth_state import SignedState, derived_key
from tests.api.assessment_support import sign_up
from tests.api.results_support import logged
from tests.fakes.fake_github import CLIENT_ID, FakeGitHub, GitHubUser

OCTOCAT = GitHubUser(id=583231, login="octocat", email="octo@example.com",
                     avatar_url="https://avatars.example.test/u/583231?v=4")


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        fake.signs_in(OCTOCAT)
        yield fake


@pytest.fixture
def settings_env(settings_env: dict[str, str], github: FakeGitHub) -> dict[str, str]:
    settings_env.update(github.settings())
    return settings_env


def start(client: Any, redirect: str | None = "/") -> httpx.Response:
    params = {} if redirect is None else {"redirect": redirect}
    return client.get("/api/auth/github", params=params, follow_redirects=False)


def sign_in(client: Any, redirect: str = "/") -> httpx.Response:
    """The browser's round trip: our 302, GitHub's approval and 302 back, our callback."""
    started = start(client, redirect)
    assert started.status_code == 302, started.text
    approved = httpx.get(started.headers["location"], follow_redirects=False)
    assert approved.status_code == 302, approved.text
    back = urlsplit(approved.headers["location"])
    return client.get(f"{back.path}?{back.query}", follow_redirects=False)


def me(client: Any) -> dict[str, Any]:
    response = client.get("/api/auth/me")
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_start_redirects_to_github_with_a_signed_state(client, github):
    started = start(client, "/assessments")
    assert started.status_code == 302
    where = urlsplit(started.headers["location"])
    assert f"{where.scheme}://{where.netloc}{where.path}" == github.authorize_url
    query = {k: v[0] for k, v in parse_qs(where.query).items()}
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == "http://testserver.local/api/auth/github/callback"
    body, _, signature = query["state"].partition(".")
    assert body and signature
    nonce = started.cookies.get("github_oauth_nonce")
    assert nonce and "httponly" in started.headers["set-cookie"].lower()


def test_a_new_user_signs_in_gets_the_login_cookie_and_goes_back_to_the_relative_path(client, github, container):
    done = sign_in(client, "/assessments?tab=history")
    assert done.status_code == 302, done.text
    assert done.headers["location"] == "/assessments?tab=history"
    cookie = [c for c in done.headers.get_list("set-cookie") if c.startswith("access_token=")]
    assert cookie and "httponly" in cookie[0].lower() and "samesite=lax" in cookie[0].lower()
    profile = me(client)
    assert profile["displayName"] == "octocat"
    assert profile["avatarUrl"] == OCTOCAT.avatar_url
    assert profile["email"] == "octo@example.com" and profile["hasApiKey"] is False
    # the same cookie as a password sign-in: it opens the OpenLearning routes
    assert client.get("/api/user/assessments").status_code == 200


def test_a_returning_user_is_the_same_user(client, github, container):
    assert sign_in(client).status_code == 302
    first = me(client)["userId"]
    client.cookies.clear()
    assert client.get("/api/auth/me").status_code == 401
    assert sign_in(client).status_code == 302
    assert me(client)["userId"] == first
    claims = [c for c in logged(container, UniqueClaim.ClaimMade) if c.kind == "github"]
    assert len(claims) == 1 and str(claims[0].owner_id) == first


def test_two_github_accounts_are_two_users_and_a_taken_name_or_address_is_not_reused(client, github):
    sign_up(client, "octo@example.com")  # a password account holds the address
    assert sign_in(client).status_code == 302
    octo = me(client)
    assert octo["email"] in ("", None)  # never linked to the password account
    client.cookies.clear()
    github.signs_in(GitHubUser(id=2, login="octocat", emails=[("second@example.com", True, True)]))
    assert sign_in(client).status_code == 302
    other = me(client)
    assert other["userId"] != octo["userId"]
    assert other["displayName"].startswith("octocat-") and other["email"] == "second@example.com"


def test_a_tampered_expired_or_foreign_state_is_refused(client, github, settings):
    started = start(client)
    state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]

    def callback(value: str) -> httpx.Response:
        return client.get("/api/auth/github/callback", params={"code": "x", "state": value},
                          follow_redirects=False)

    body, _, signature = state.partition(".")
    for bad in (state + "x", f"{body}x.{signature}", "not-a-state", ""):
        refused = callback(bad)
        assert refused.status_code in (400, 422), refused.text
    tampered = callback(state[:-2] + ("AA" if not state.endswith("AA") else "BB"))
    assert tampered.status_code == 400
    assert tampered.json()["detail"] == "Invalid or expired OAuth state"

    nonce = started.cookies.get("github_oauth_nonce")
    expired = SignedState(derived_key(settings.jwt_secret, "github-oauth-state"), -5).issue(
        {"r": "/", "n": nonce})
    assert callback(expired).json()["detail"] == "Invalid or expired OAuth state"

    client.cookies.clear()  # another browser: the state is valid, the nonce cookie is not there
    foreign = callback(state)
    assert foreign.status_code == 400 and foreign.json()["detail"] == "Invalid or expired OAuth state"
    assert client.get("/api/auth/me").status_code == 401


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example",
                                    "evil.example", "/ok\r\nLocation: https://evil.example"])
def test_an_open_redirect_is_refused(client, github, target):
    refused = start(client, target)
    assert refused.status_code == 400
    assert refused.json()["detail"] == "redirect must be a relative path on this site"
    assert "location" not in refused.headers


def test_a_refused_code_is_400_and_an_unreachable_github_502(client, github):
    started = start(client)
    approved = httpx.get(started.headers["location"], follow_redirects=False)
    back = urlsplit(approved.headers["location"])
    assert client.get(f"{back.path}?{back.query}", follow_redirects=False).status_code == 302
    client.cookies.set("github_oauth_nonce", started.cookies["github_oauth_nonce"],
                       path="/api/auth/github")
    reused = client.get(f"{back.path}?{back.query}", follow_redirects=False)
    assert reused.status_code == 400
    assert reused.json()["detail"] == "GitHub did not accept the sign-in code"

    client.cookies.clear()
    started = start(client)
    approved = httpx.get(started.headers["location"], follow_redirects=False)
    back = urlsplit(approved.headers["location"])
    github.fail_next(503)
    down = client.get(f"{back.path}?{back.query}", follow_redirects=False)
    assert down.status_code == 502
    assert down.json()["detail"] == "Unable to reach GitHub. Please try again shortly."


def test_the_github_login_name_and_avatar_are_personal_data_sealed_in_the_log(client, github, container):
    assert sign_in(client).status_code == 302
    states = [bytes(n.state) for n in container.events.read_raw(0, 10_000)]
    assert not any(b"octocat" in s or b"avatars.example.test" in s or b"octo@example.com" in s
                   for s in states)
    assert me(client)["displayName"] == "octocat"  # and read back through the user's key

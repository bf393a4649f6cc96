"""Sign in with GitHub (seed 002): ``GET /api/auth/github`` and its callback.

The callback sets the same httpOnly ``access_token`` cookie as ``POST /api/auth/login`` and
sends the browser to the relative path it started from. The nonce cookie binds the signed
``state`` to the browser that started the flow.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import Parameter
from litestar.response import Redirect

from api.errors import error_response
from api.routes.auth_openlearning import COOKIE
from api.routes.cookies import is_https, set_auth_cookie
from api.schemas import errors
from application.github_login import GitHubLogin, GitHubUnavailable, NotConfigured
from infrastructure.settings import Settings

NONCE_COOKIE = "github_oauth_nonce"
NONCE_PATH = "/api/auth/github"


def _not_configured(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, NotConfigured)
    return error_response(501, exc.detail, exc.code)


def _unavailable(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, GitHubUnavailable)
    return error_response(502, exc.detail, exc.code)


def callback_url(request: Request[Any, Any, Any], settings: Settings) -> str:
    if settings.github_callback_url:
        return settings.github_callback_url
    return str(request.base_url).rstrip("/") + "/api/auth/github/callback"


class GitHubAuthController(Controller):
    path = "/api/auth/github"
    tags = ["accounts"]
    exception_handlers = {NotConfigured: _not_configured, GitHubUnavailable: _unavailable}

    @get("/", operation_id="start_github_sign_in", responses=errors(400, 501), summary="Redirect to GitHub's authorization page (302)", status_code=302, sync_to_thread=False)
    def start(self, request: Request[Any, Any, Any], github_login: GitHubLogin, settings: Settings, redirect: str = "/") -> Redirect:
        started = github_login.authorize(redirect, callback_url(request, settings))
        response = Redirect(started.location, status_code=302)
        response.set_cookie(key=NONCE_COOKIE, value=started.nonce, path=NONCE_PATH, httponly=True,
                            samesite="lax", secure=is_https(request),
                            max_age=int(settings.github_state_minutes * 60))
        return response

    # ``state`` is the name Litestar gives the application state: the query parameter is read
    # into ``oauth_state``.
    @get("/callback", operation_id="finish_github_sign_in", responses=errors(400, 422, 501, 502), summary="Exchange GitHub's code, sign in (sets the access_token cookie) and redirect (302)", status_code=302)
    async def callback(self, request: Request[Any, Any, Any], github_login: GitHubLogin, settings: Settings, code: str, oauth_state: Annotated[str, Parameter(query="state")]) -> Redirect:
        signed = await github_login.callback(code, oauth_state, request.cookies.get(NONCE_COOKIE),
                                             callback_url(request, settings))
        response = Redirect(signed.redirect, status_code=302)
        set_auth_cookie(response, request, COOKIE, signed.tokens.access_token,
                        settings.access_token_minutes * 60)
        response.delete_cookie(key=NONCE_COOKIE, path=NONCE_PATH)
        return response

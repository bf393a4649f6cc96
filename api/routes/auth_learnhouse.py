"""LearnHouse sign-in: form login → user + tokens, refresh, logout."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body

from api.routes.cookies import LEARNHOUSE_ACCESS, LEARNHOUSE_REFRESH, clear_cookie, set_auth_cookie
from api.schemas import errors
from api.security import client_ip
from application.accounts import Accounts
from application.authorization import Principal
from application.views import UserView
from domain.errors import Unauthenticated
from infrastructure.settings import Settings

ACCESS_COOKIE = LEARNHOUSE_ACCESS
REFRESH_COOKIE = LEARNHOUSE_REFRESH


class LoginForm(msgspec.Struct):
    username: str
    password: str


class Tokens(msgspec.Struct):
    access_token: str
    refresh_token: str
    expiry: int


class LoginResult(msgspec.Struct):
    user: UserView
    tokens: Tokens


class LoggedOut(msgspec.Struct):
    msg: str


class Refreshed(msgspec.Struct):
    access_token: str
    expiry: int


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    # On the event loop: the hash check runs in a thread, and a failed answer held back by the
    # throttle waits on the loop, so a stream of wrong passwords ties up no worker thread.
    @post("/login", operation_id="login", responses=errors(401, 413, 422), summary="Sign in with email and password (form)", status_code=200)
    async def login(
        self,
        request: Request[Any, Any, Any],
        accounts: Accounts, settings: Settings,
        data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[LoginResult]:
        user = await accounts.authenticate_async(data.username, data.password, client_ip(request))
        tokens = accounts.start_session(user)
        response = Response(
            LoginResult(
                user=user,
                tokens=Tokens(tokens.access_token, tokens.refresh_token, tokens.expiry),
            )
        )
        set_auth_cookie(response, request, ACCESS_COOKIE, tokens.access_token, settings.access_token_minutes * 60)
        set_auth_cookie(response, request, REFRESH_COOKIE, tokens.refresh_token, settings.refresh_token_days * 86400)
        return response

    @get("/refresh", operation_id="refresh_access_token", responses=errors(401), summary="New access token from the refresh cookie", sync_to_thread=False)
    def refresh(self, request: Request[Any, Any, Any], accounts: Accounts, settings: Settings) -> Response[Refreshed]:
        token = request.cookies.get(REFRESH_COOKIE)
        header = request.headers.get("authorization", "")
        if not token and header.lower().startswith("bearer "):
            token = header[7:].strip()
        if not token:
            raise Unauthenticated("Invalid credentials")
        access, expiry = accounts.refresh(token)
        response = Response(Refreshed(access_token=access, expiry=expiry))
        set_auth_cookie(response, request, ACCESS_COOKIE, access, settings.access_token_minutes * 60)
        return response

    @delete("/logout", operation_id="logout", responses=errors(401), summary="Revoke this session", sync_to_thread=True, status_code=200)
    def logout(self, accounts: Accounts, principal: Principal) -> Response[LoggedOut]:
        accounts.sign_out(principal)
        response = Response(LoggedOut(msg="Successfully logout"))
        clear_cookie(response, ACCESS_COOKIE)
        clear_cookie(response, REFRESH_COOKIE)
        return response

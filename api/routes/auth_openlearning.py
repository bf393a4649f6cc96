"""OpenLearning accounts: register/login set an httpOnly ``access_token`` cookie."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post

from api.credentials import credential_of
from api.params import Email, Password
from api.routes.cookies import OPENLEARNING_ACCESS, clear_cookie, set_auth_cookie
from api.schemas import Ok, errors
from api.security import client_ip
from application.accounts import Accounts, NewAccount, normalise_email
from application.authorization import Principal
from application.model_keys import ModelKeys
from domain.errors import InvalidInput, Unauthenticated
from infrastructure.settings import Settings

COOKIE = OPENLEARNING_ACCESS


class RegisterRequest(msgspec.Struct):
    email: Email
    password: Password


class LoginRequest(msgspec.Struct):
    email: Email
    password: str


class AuthMeResponse(msgspec.Struct, rename="camel"):
    user_id: str
    display_name: str
    avatar_url: str
    has_api_key: bool
    email: str | None = None


def _valid_email(email: str) -> str:
    try:
        return normalise_email(email)
    except InvalidInput:
        raise InvalidInput("value is not a valid email address", field="email") from None


class OpenLearningAuthController(Controller):
    path = "/api/auth"
    tags = ["accounts"]

    def _signed_in(self, request: Request[Any, Any, Any], accounts: Accounts, settings: Settings, user: Any) -> Response[Ok]:
        tokens = accounts.start_session(user)
        response = Response(Ok(), status_code=200)
        set_auth_cookie(response, request, COOKIE, tokens.access_token, settings.access_token_minutes * 60)
        return response

    @post("/register", operation_id="register_account", responses=errors(400, 409, 413, 422), summary="Register with email and password", sync_to_thread=True, status_code=200)
    def register(self, request: Request[Any, Any, Any], accounts: Accounts, settings: Settings, data: RegisterRequest) -> Response[Ok]:
        email = _valid_email(data.email)
        user = accounts.register(NewAccount(email=email, password=data.password))
        return self._signed_in(request, accounts, settings, user)

    # On the event loop, as LearnHouse's login (``api.routes.auth_learnhouse``).
    @post("/login", operation_id="sign_in", responses=errors(401, 413, 422), summary="Sign in; sets the access_token cookie", status_code=200)
    async def login(self, request: Request[Any, Any, Any], accounts: Accounts, settings: Settings, data: LoginRequest) -> Response[Ok]:
        _valid_email(data.email)
        try:
            user = await accounts.authenticate_async(data.email, data.password, client_ip(request))
        except Unauthenticated:
            raise Unauthenticated("Invalid email or password", code="INVALID_CREDENTIALS") from None
        return self._signed_in(request, accounts, settings, user)

    @get("/me", operation_id="get_me", responses=errors(401), summary="The signed-in user's profile", sync_to_thread=False)
    def me(self, accounts: Accounts, principal: Principal, model_keys: ModelKeys) -> AuthMeResponse:
        if principal.user_id is None or principal.token is not None:
            raise Unauthenticated("Not authenticated")
        user = accounts.user_view(principal.user_id)
        return AuthMeResponse(
            user_id=str(principal.user_id),
            display_name=user.username,
            avatar_url=user.avatar_image,
            has_api_key=model_keys.has_key(principal.user_id),
            email=user.email,
        )

    @post("/logout", operation_id="sign_out", responses=errors(), summary="Clear the auth cookie (and revoke the session)", sync_to_thread=True, status_code=200)
    def logout(self, request: Request[Any, Any, Any], accounts: Accounts) -> Response[Ok]:
        # No ``principal`` dependency: it answers 401 for an expired or forged cookie, and
        # logging out must clear such a cookie all the same.
        credential = credential_of(request.scope)
        if credential is not None and not credential.is_api_token:
            principal = accounts.principal_for(credential.token, client_ip(request))
            if principal is not None:
                accounts.sign_out(principal)
        response = Response(Ok())
        clear_cookie(response, COOKIE)
        return response

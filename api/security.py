"""Who is calling: a session JWT or an ``lh_`` API token, from the header or a cookie."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection

from api.credentials import credential_of
from api.request_actor import note_principal
from application.accounts import Accounts
from application.api_tokens import ApiTokens
from application.authorization import ANONYMOUS, TOKEN_NOT_ALLOWED, Principal
from domain.errors import Forbidden, Unauthenticated


def client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else ""


def principal_resolver(accounts: Accounts, api_tokens: ApiTokens) -> Callable[[Request[Any, Any, Any]], Principal]:
    def resolve_principal(request: Request[Any, Any, Any]) -> Principal:
        """Anonymous when no credential is sent; 401 when one is sent and is invalid."""
        credential = credential_of(request.scope)
        if credential is None:
            return ANONYMOUS
        ip = client_ip(request)
        if credential.is_api_token:
            principal = api_tokens.principal_for(credential.token, ip)
        else:
            principal = accounts.principal_for(credential.token, ip)
        if principal is None:
            raise Unauthenticated("Could not validate credentials")
        return note_principal(principal)  # the actor of the events this request causes

    return resolve_principal


def no_api_tokens(connection: ASGIConnection[Any, Any, Any, Any], _handler: Any) -> None:
    """Guard for routes that need a real user session (seed 000: /users, /orgs, /roles, …),
    whether the token came in the header or in a cookie."""
    credential = credential_of(connection.scope)
    if credential is not None and credential.is_api_token:
        raise Forbidden(TOKEN_NOT_ALLOWED, code="TOKEN_NOT_ALLOWED")


def signed_in_first(connection: ASGIConnection[Any, Any, Any, Any], _handler: Any) -> None:
    """Guard for the OpenLearning routes that need a signed-in user (seed 002: "401 without a
    valid JWT cookie"): a request with no session credential is refused before its body is
    read, so a bad body without a cookie is 401, not 422, as FastAPI's order of checks gives.
    A credential that is sent is checked by the principal resolver, as on every route."""
    credential = credential_of(connection.scope)
    if credential is None or credential.is_api_token:
        raise Unauthenticated("Not authenticated")

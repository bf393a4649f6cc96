"""Who is calling: a bearer JWT, the OpenLearning ``access_token`` cookie, LearnHouse's
``access_token_cookie``, or (tokens issue) an ``lh_`` API token."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State

from application.authorization import ANONYMOUS, Principal
from domain.errors import Unauthenticated

ACCESS_COOKIES = ("access_token", "access_token_cookie")


def container_of(state: State) -> Any:
    return state.container


def client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else ""


def bearer(request: Request[Any, Any, Any]) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def resolve_principal(request: Request[Any, Any, Any], state: State) -> Principal:
    """Anonymous when no credential is sent; 401 when one is sent and is invalid."""
    container = state.container
    token = bearer(request)
    if token is None:
        for name in ACCESS_COOKIES:
            token = request.cookies.get(name)
            if token:
                break
    if not token:
        return ANONYMOUS
    ip = client_ip(request)
    if token.startswith("lh_"):
        resolver = container.extras.get("api_tokens")
        principal = resolver.principal_for(token, ip) if resolver is not None else None
    else:
        principal = container.accounts.principal_for(token, ip)
    if principal is None:
        raise Unauthenticated("Could not validate credentials")
    return principal


def no_api_tokens(connection: Any, _handler: Any) -> None:
    """Guard for routes that need a real user session (seed 000: /users, /orgs, /roles, …)."""
    from domain.errors import Forbidden

    header = connection.headers.get("authorization", "")
    if header[:7].lower() == "bearer " and header[7:].strip().startswith("lh_"):
        raise Forbidden("API tokens are not allowed on this route", code="TOKEN_NOT_ALLOWED")

"""Auth cookies: httpOnly, SameSite=Lax, Secure when the request came over https."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from api.credentials import credential_of
from application.ports import SessionTokens
from infrastructure.settings import Settings

#: LearnHouse's cookies and OpenLearning's (``api.credentials`` reads the access ones)
LEARNHOUSE_ACCESS = "access_token_cookie"
LEARNHOUSE_REFRESH = "refresh_token_cookie"
OPENLEARNING_ACCESS = "access_token"


def is_https(request: Request[Any, Any, Any]) -> bool:
    proto = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or proto.split(",")[0].strip() == "https"


def set_auth_cookie(
    response: Response[Any], request: Request[Any, Any, Any], name: str, value: str, max_age: int
) -> None:
    response.set_cookie(
        key=name,
        value=value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
        path="/",
    )


def clear_cookie(response: Response[Any], name: str) -> None:
    response.delete_cookie(key=name, path="/")


def keep_session_cookies(
    response: Response[Any], request: Request[Any, Any, Any], settings: Settings,
    tokens: SessionTokens,
) -> None:
    """Replace the auth cookies this request signed in with by ``tokens`` (a session that goes
    on after its old tokens stopped working, as after a password change). A request signed in
    by its ``Authorization`` header keeps whatever cookies it also sent."""
    credential = credential_of(request.scope)
    if credential is None or credential.source != "cookie":
        return
    access = settings.access_token_minutes * 60
    if request.cookies.get(LEARNHOUSE_ACCESS) or request.cookies.get(LEARNHOUSE_REFRESH):
        set_auth_cookie(response, request, LEARNHOUSE_ACCESS, tokens.access_token, access)
        set_auth_cookie(
            response, request, LEARNHOUSE_REFRESH, tokens.refresh_token,
            settings.refresh_token_days * 86400,
        )
    if request.cookies.get(OPENLEARNING_ACCESS):
        set_auth_cookie(response, request, OPENLEARNING_ACCESS, tokens.access_token, access)

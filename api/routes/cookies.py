"""Auth cookies: httpOnly, SameSite=Lax, Secure when the request came over https."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response


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

"""The caller's credential, read once per request from the raw ASGI headers.

A bearer ``Authorization`` header wins; otherwise OpenLearning's ``access_token`` cookie or
LearnHouse's ``access_token_cookie``. The abuse-protection middleware reads it first (to key
rate limits) and leaves it in the request scope, so the principal resolver and the API-token
guard judge the very same credential, wherever it was sent.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

if TYPE_CHECKING:
    from litestar.types import Scope

ACCESS_COOKIES = ("access_token", "access_token_cookie")
_SCOPE_KEY = "learnstream.credential"
_ABSENT = object()


@dataclass(frozen=True, slots=True)
class Credential:
    token: str
    source: Literal["header", "cookie"]

    @property
    def is_api_token(self) -> bool:
        return self.token.startswith("lh_")


def parse_credential(headers: Iterable[tuple[bytes, bytes]]) -> Credential | None:
    cookie_header = ""
    for name, value in headers:
        if name == b"authorization":
            text = value.decode("latin-1")
            if text[:7].lower() == "bearer " and text[7:].strip():
                return Credential(text[7:].strip(), "header")
        elif name == b"cookie":
            cookie_header = value.decode("latin-1")
    cookies: dict[str, str] = {}
    for part in cookie_header.split(";"):
        key, _, val = part.strip().partition("=")
        if key in ACCESS_COOKIES and val:
            cookies[key] = val.strip().strip('"')
    for cookie in ACCESS_COOKIES:
        if cookies.get(cookie):
            return Credential(cookies[cookie], "cookie")
    return None


def credential_of(scope: Scope | MutableMapping[str, Any]) -> Credential | None:
    """The scope's credential, parsed on first use and kept for the rest of the request
    (a raw ASGI scope in the middleware, a request's own scope in routes and guards)."""
    raw = cast("MutableMapping[str, Any]", scope)
    state: dict[str, Any] = raw.setdefault("state", {})
    found = state.get(_SCOPE_KEY, _ABSENT)
    if found is _ABSENT:
        found = state[_SCOPE_KEY] = parse_credential(raw.get("headers", ()))
    return cast("Credential | None", found)

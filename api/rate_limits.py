"""Abuse protection in front of every route: request body size (413) and rate limits (429).

Runs as ASGI middleware, before routing and authentication, so a flood costs one limiter
decision, not a database lookup. The key is the credential (a hash of the bearer token or
session cookie, so a guessed prefix cannot burn someone else's budget) and the route group;
every request is also charged to its client IP with a wider limit, which is what stops
floods of random credentials.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from api.credentials import credential_of
from domain.errors import PayloadTooLarge
from infrastructure.metrics import count_rate_limit_refusal
from infrastructure.rate_limit import Decision, Limit, RateLimiter
from infrastructure.settings import Settings

Scope = dict[str, Any]
UNLIMITED_PATHS = ("/api/health", "/metrics", "/openapi.json", "/docs", "/api/docs", "/redoc", "/schema")
AUTH_PATHS = ("/api/v1/auth/", "/api/auth/")
READ_METHODS = frozenset({"GET", "HEAD"})


class RateLimitPolicy:
    def __init__(self, settings: Settings) -> None:
        self.groups = {
            "read": Limit.parse(settings.rate_limit_read),
            "write": Limit.parse(settings.rate_limit_write),
            "auth": Limit.parse(settings.rate_limit_auth),
            "tokens": Limit.parse(settings.rate_limit_tokens),
        }
        self.ip = Limit.parse(settings.rate_limit_ip)

    @staticmethod
    def group(method: str, path: str) -> str:
        if path.startswith(AUTH_PATHS):
            return "auth"
        if "/api-tokens" in path:
            return "tokens"
        return "read" if method in READ_METHODS else "write"

    def checks(self, scope: Scope) -> Sequence[tuple[str, Limit]]:
        method, path = scope["method"], scope["path"]
        group = self.group(method, path)
        ip = scope["client"][0] if scope.get("client") else "unknown"
        credential = None if group == "auth" else credential_of(scope)
        who = "c:" + hashlib.sha256(credential.token.encode()).hexdigest()[:32] if credential else "ip:" + ip
        return [(f"{group}:{who}", self.groups[group]), (f"ip:{ip}", self.ip)]



def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_error(send: Any, status: int, detail: str, code: str, headers: dict[str, str]) -> None:
    body = json.dumps({"detail": detail, "code": code}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class AbuseProtection:
    """ASGI middleware; build with ``abuse_protection(settings, limiter)``."""

    def __init__(self, app: Any, settings: Settings, limiter: RateLimiter | None) -> None:
        self.app = app
        self.max_body = settings.max_body_bytes
        self.limiter = limiter if settings.rate_limit_enabled else None
        self.policy = RateLimitPolicy(settings)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        if length is not None and length > self.max_body:
            # Raised, not answered here: the error table shapes every 413 alike.
            raise PayloadTooLarge(f"Request body is larger than the {self.max_body} bytes allowed")
        if self.limiter is None or scope["path"].startswith(UNLIMITED_PATHS) or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        decision = await self.limiter.hit(self.policy.checks(scope))
        if not decision.allowed:
            count_rate_limit_refusal(self.policy.group(scope["method"], scope["path"]))
            wait = decision.headers()["Retry-After"]
            await _send_error(
                send, 429, f"Rate limit exceeded, retry in {wait} seconds",
                "RATE_LIMIT_EXCEEDED", decision.headers(),
            )
            return
        await self.app(scope, receive, _with_headers(send, decision))


def _with_headers(send: Any, decision: Decision) -> Any:
    extra = [(k.lower().encode(), v.encode()) for k, v in decision.headers().items()]

    async def wrapped(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return wrapped


def abuse_protection(settings: Settings, limiter: RateLimiter | None) -> Any:
    """A Litestar middleware factory (``Litestar(middleware=[...])``)."""

    def factory(app: Any) -> AbuseProtection:
        return AbuseProtection(app, settings, limiter)

    return factory

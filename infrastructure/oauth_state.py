"""HMAC-signed, expiring OAuth ``state`` values: ``<payload>.<signature>``, both base64url.

The payload is JSON with an expiry (``exp``, epoch seconds); a state whose signature does not
match, or that has expired, verifies as None. The key never leaves this process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def derived_key(secret: str, purpose: str) -> bytes:
    """A key for one purpose from a server secret (the JWT secret): neither reveals the other."""
    return hmac.new(secret.encode(), f"learnstream:{purpose}".encode(), hashlib.sha256).digest()


class SignedState:
    def __init__(
        self, key: bytes, ttl_seconds: float, clock: Callable[[], float] = time.time
    ) -> None:
        if len(key) < 16:
            raise ValueError("the state key must have at least 16 bytes")
        self._key = key
        self._ttl = ttl_seconds
        self._clock = clock

    def __repr__(self) -> str:
        return f"SignedState(ttl={self._ttl}s)"

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def issue(self, payload: dict[str, Any]) -> str:
        body = _b64(json.dumps({**payload, "exp": int(self._clock() + self._ttl)},
                               separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{self._sign(body)}"

    def verify(self, state: str) -> dict[str, Any] | None:
        body, dot, signature = state.partition(".")
        if not dot or not hmac.compare_digest(self._sign(body), signature):
            return None
        try:
            payload = json.loads(_unb64(body))
        except ValueError:
            return None
        if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int):
            return None
        if payload["exp"] < self._clock():
            return None
        return payload

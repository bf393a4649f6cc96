"""JWT access and refresh tokens (HS256), and the signing key's home."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from pathlib import Path
from uuid import UUID

import jwt

from application.ports import SessionTokens, TokenClaims
from infrastructure.key_files import read_or_create


def load_or_create_secret(data_dir: Path, name: str = "jwt_secret") -> str:
    """A random key kept in the data dir (mode 0600), created on first use."""
    return read_or_create(data_dir / name, lambda: secrets.token_urlsafe(48))


class JwtCodec:
    """HS256 tokens. Verified claims are cached by token string (bounded): a signature that
    verified once stays valid, so only expiry is re-checked; revocation is checked by the caller
    on every request. PyJWT verification is otherwise the largest cost of a cheap read."""

    CACHE_SIZE = 4096

    def __init__(self, secret: str, access_minutes: int, refresh_days: int) -> None:
        self._secret = secret
        self._verified: OrderedDict[tuple[str, str], TokenClaims] = OrderedDict()
        self._lock = threading.Lock()
        self._access_seconds = access_minutes * 60
        self._refresh_seconds = refresh_days * 86400

    def _encode(
        self, user_id: UUID, session_id: str, password_version: str, kind: str, ttl: int
    ) -> tuple[str, int]:
        now = int(time.time())
        exp = now + ttl
        token = jwt.encode(
            {
                "sub": str(user_id), "sid": session_id, "pwv": password_version, "typ": kind,
                "iat": now, "exp": exp,
            },
            self._secret,
            algorithm="HS256",
        )
        return token, exp

    def password_version(self, password_hash: str) -> str:
        """A keyed digest of the password hash: equal while the password is unchanged, and
        telling nothing about the password or its hash to whoever reads the token."""
        digest = hmac.new(self._secret.encode(), password_hash.encode(), hashlib.sha256)
        return digest.hexdigest()[:16]

    def issue(self, user_id: UUID, session_id: str, password_hash: str) -> SessionTokens:
        version = self.password_version(password_hash)
        access, exp = self._encode(user_id, session_id, version, "access", self._access_seconds)
        refresh, _ = self._encode(user_id, session_id, version, "refresh", self._refresh_seconds)
        return SessionTokens(access_token=access, refresh_token=refresh, expiry=exp * 1000)

    def refresh_access(self, claims: TokenClaims) -> tuple[str, int]:
        token, exp = self._encode(
            claims.user_id, claims.session_id, claims.password_version, "access",
            self._access_seconds,
        )
        return token, exp * 1000

    def decode(self, token: str, kind: str) -> TokenClaims | None:
        key = (token, kind)
        with self._lock:
            cached = self._verified.get(key)
        if cached is not None:
            return cached if cached.expires_at > time.time() else None
        claims = self._verify(token, kind)
        if claims is not None:
            with self._lock:
                self._verified[key] = claims
                if len(self._verified) > self.CACHE_SIZE:
                    self._verified.popitem(last=False)
        return claims

    def _verify(self, token: str, kind: str) -> TokenClaims | None:
        try:
            data = jwt.decode(
                token, self._secret, algorithms=["HS256"], options={"require": ["exp", "sub"]}
            )
            if data.get("typ") != kind:
                return None
            return TokenClaims(
                user_id=UUID(data["sub"]),
                session_id=str(data.get("sid", "")),
                kind=kind,
                expires_at=int(data["exp"]),
                password_version=str(data.get("pwv", "")),
            )
        except (jwt.PyJWTError, ValueError, KeyError):
            return None

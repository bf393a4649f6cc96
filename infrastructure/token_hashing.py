"""API token secrets: generation and keyed hashing.

Tokens carry 256 bits of randomness, so a fast keyed hash (HMAC-SHA256 with a server key) is
the right store: nobody can brute-force the preimage, and verifying costs microseconds per
request, where argon2 would cost tens of milliseconds. The key lives outside the event log
(setting or a 0600 file in the data dir), so a leaked log or database alone cannot be used
to test guesses offline.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from infrastructure.session_tokens import load_or_create_secret

TOKEN_MARK = "lh_"  # noqa: S105 (a marker, not a secret)
PREFIX_LENGTH = 12  # "lh_" + 9 characters, as LearnHouse shows it
SECRET_BYTES = 32
KEY_FILE = "api_token_key"


class TokenHasher:
    def __init__(self, key: str) -> None:
        if len(key) < 16:
            raise ValueError("the API token key must be at least 16 characters")
        self._key = key.encode()

    @classmethod
    def from_settings(cls, configured: str, data_dir: Path) -> TokenHasher:
        return cls(configured or load_or_create_secret(data_dir, KEY_FILE))

    @staticmethod
    def new_token() -> tuple[str, str]:
        """A fresh token and its public prefix."""
        token = TOKEN_MARK + secrets.token_urlsafe(SECRET_BYTES)
        return token, token[:PREFIX_LENGTH]

    @staticmethod
    def prefix_of(token: str) -> str | None:
        """The lookup prefix, or None when the string cannot be one of our tokens."""
        if not token.startswith(TOKEN_MARK) or not 40 <= len(token) <= 128:
            return None
        return token[:PREFIX_LENGTH]

    def digest(self, token: str) -> str:
        return hmac.new(self._key, token.encode(), hashlib.sha256).hexdigest()

    def matches(self, token: str, stored_digest: str) -> bool:
        return hmac.compare_digest(self.digest(token), stored_digest)

"""Ports: what the application needs from the outside, as Protocols."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate


class EventLog(Protocol):
    def save(self, *aggregates: Aggregate | None) -> int: ...
    async def save_async(self, *aggregates: Aggregate | None) -> int: ...
    def get(self, aggregate_id: UUID, cls: Any, version: int | None = None) -> Any: ...
    def last_position(self) -> int: ...


class ReadModelBarrier(Protocol):
    def wait(self, position: int, names: Iterable[str], timeout: float) -> bool: ...
    async def wait_async(self, position: int, names: Iterable[str], timeout: float) -> bool: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...
    def waste_time(self, password: str) -> None:
        """Spend a verification's time on a dummy hash (unknown users look like wrong passwords)."""


class SessionTokens(msgspec.Struct, frozen=True):
    access_token: str
    refresh_token: str
    expiry: int  # epoch milliseconds, as LearnHouse reports it


class TokenClaims(msgspec.Struct, frozen=True):
    user_id: UUID
    session_id: str
    kind: str  # "access" | "refresh"
    expires_at: int
    #: names the password the session was started with (a keyed digest of its hash), so a
    #: password change ends every session started before it
    password_version: str = ""


class TokenCodec(Protocol):
    def issue(self, user_id: UUID, session_id: str, password_hash: str) -> SessionTokens: ...
    def refresh_access(self, claims: TokenClaims) -> tuple[str, int]: ...
    def decode(self, token: str, kind: str) -> TokenClaims | None: ...
    def password_version(self, password_hash: str) -> str: ...


class FileStorage(Protocol):
    def save(self, folder: str, filename: str, data: bytes) -> str:
        """Store bytes durably; return the public relative path."""
        ...


class LoginThrottle(Protocol):
    """Failed sign-ins counted per (account, address) pair, per address and per account.

    Only a pair or an address is ever locked out: an account-wide lock would let anyone lock
    anyone out. Account-wide failures may only hold failed answers back a little.
    """

    def check(self, account: str, address: str) -> None:
        """Raise ``domain.errors.Locked`` while the pair or the address is locked out."""

    def failed(self, account: str, address: str) -> float:
        """Count a failure; return how long (seconds, bounded) to hold the failed answer."""

    def succeeded(self, account: str, address: str) -> None:
        """Forget the pair's failures (the address' and the account's stay)."""

    def close(self) -> None:
        """Release connections (the Redis throttle's pool)."""

"""Resolving a presented ``lh_`` token to a Principal, on every request that carries one."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Protocol

from application.api_token_usage import UsageCoalescer
from application.authorization import Principal, TokenGrant
from domain.api_tokens import TokenRights, ceiling, intersect
from domain.rights import BUILTIN_ROLES
from projections.queries.api_tokens import ApiTokenQueries
from projections.queries.identity import IdentityQueries


class TokenSecrets(Protocol):
    def new_token(self) -> tuple[str, str]: ...
    def prefix_of(self, token: str) -> str | None: ...
    def digest(self, token: str) -> str: ...
    def matches(self, token: str, stored_digest: str) -> bool: ...


def now_utc() -> datetime:
    return datetime.now(UTC)


class TokenResolver:
    """Finds the token row behind a presented secret and the rights it carries now."""

    def __init__(
        self,
        queries: ApiTokenQueries,
        secrets: TokenSecrets,
        identity: IdentityQueries,
        coalescer: UsageCoalescer,
    ) -> None:
        self._q = queries
        self._secrets = secrets
        self._identity = identity
        self.coalescer = coalescer
        self._grants: dict[tuple[Any, ...], tuple[TokenRights, datetime | None]] = {}

    def _grant_of(self, row: dict[str, Any]) -> tuple[TokenRights, datetime | None]:
        """Effective rights and expiry, memoised on everything they depend on (built-in roles
        never change; a custom role's rights are read again each time)."""
        role = row["creator_role"]
        key = (row["token_uuid"], row["rights"], row["expires_at"], role)
        cacheable = role is None or role in BUILTIN_ROLES
        if cacheable and (hit := self._grants.get(key)) is not None:
            return hit
        held = self._identity.role_rights(role, row["org_uuid"]) if role else None
        grant = (
            intersect(json.loads(row["rights"]), ceiling(held)),
            datetime.fromisoformat(row["expires_at"]) if row["expires_at"] else None,
        )
        if cacheable:
            if len(self._grants) >= 4096:
                self._grants.clear()
            self._grants[key] = grant
        return grant

    def principal_for(self, token: str, ip: str = "") -> Principal | None:
        """The grant behind a token; None when it is unknown, revoked or expired.

        The token's rights are capped, at each use, by what its creator may still do in the
        org: a demoted or departed creator's tokens shrink or stop with them.
        """
        prefix = self._secrets.prefix_of(token)
        if prefix is None:
            return None
        row = next(
            (r for r in self._q.by_prefix(prefix) if self._secrets.matches(token, r["secret_hash"])),
            None,
        )
        if row is None or not row["active"]:
            return None
        rights, expires = self._grant_of(row)
        now = now_utc()
        if expires is not None and expires <= now:
            return None
        self.coalescer.touch(row["token_uuid"], now)
        return Principal(
            token=TokenGrant(
                token_uuid=f"apitoken_{row['token_uuid']}",
                org_uuid=row["org_uuid"],
                rights=rights,
                creator_uuid=row["creator_uuid"],
            ),
            ip=ip,
        )

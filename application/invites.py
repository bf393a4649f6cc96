"""Org signup modes and invite codes (LearnHouse ``signup_mechanism`` and ``/invites``).

An org is ``open`` (anyone may sign up and become a member, who sees the org's private
courses) or ``inviteOnly`` (signing up needs a live invite code). The org's admins, the holders
of ``organizations.action_update``, set the mode and list, create and delete the codes.

A code is never stored as such: the log and the read model hold a keyed digest (the lookup
key at signup) and a copy sealed with the server's secret box (opened only to list the codes
for the admins), so an export of the log does not let anyone join.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

import msgspec

from application.authorization import Authorization, Principal
from application.organizations import Organizations
from application.writer import Writer
from domain.errors import InvalidInput, NotFound, RuleBroken
from domain.invites import InviteCode
from domain.orgs import Org
from projections.queries.invites import InviteQueries

INVITES = ("org_invites",)
CODE_NOT_FOUND = "Invite code not found"
#: LearnHouse keeps at most this many codes per org; expired and used-up codes do not count
MAX_LIVE_CODES = 6
DEFAULT_LIFETIME = timedelta(days=365)  # LearnHouse's invite code TTL
CODE_LENGTH = 12
_ALPHABET = string.ascii_letters + string.digits
_UUID_PREFIX = "org_invite_code_"


class Digester(Protocol):
    def digest(self, token: str) -> str: ...


class Sealer(Protocol):
    def seal(self, plaintext: str, context: str) -> str: ...
    def open(self, ciphertext: str, context: str) -> str: ...


def code_digest(digester: Digester, org_uuid: str, code: str) -> str:
    """The keyed digest a code is found by (bound to its org)."""
    return digester.digest(f"invite:{org_uuid}:{code}")


def plausible_code(code: str) -> bool:
    return 0 < len(code) <= 64 and code.isascii() and code.isalnum()


def utc_now() -> datetime:
    return datetime.now(UTC)


class InviteView(msgspec.Struct, kw_only=True):
    """LearnHouse's invite code object, plus its usage limit and count."""

    invite_code: str
    invite_code_uuid: str
    invite_code_expires: int | None  # lifetime in seconds, as LearnHouse reports its TTL
    invite_code_type: str = "signup"
    created_at: str
    created_by: str
    expires_at: str | None
    max_uses: int | None
    uses: int


class Invites:
    def __init__(
        self,
        writer: Writer,
        orgs: Organizations,
        authz: Authorization,
        queries: InviteQueries,
        digester: Digester,
        sealer: Sealer,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._writer = writer
        self._orgs = orgs
        self._authz = authz
        self._q = queries
        self._digester = digester
        self._sealer = sealer
        self._now = now

    def _admin_of(self, principal: Principal, org_ref: str | int) -> str:
        self._authz.require_user(principal)
        org_uuid = self._orgs.org_uuid(org_ref)
        self._authz.require(principal, org_uuid, "organizations", "update")
        return org_uuid

    # -- signup mode ----------------------------------------------------------------------
    def set_signup_mode(self, principal: Principal, org_ref: str | int, mode: str) -> None:
        org_uuid = self._admin_of(principal, org_ref)

        def apply() -> None:
            org = self._writer.events.get(UUID(org_uuid), Org)
            if org is None or org.deleted:
                raise NotFound("Organization not found")
            org.change_signup_mode(mode)
            self._writer.save(org, read_models=INVITES)

        self._writer.retrying(apply)

    def signup_mode(self, org_uuid: str) -> str:
        return self._q.signup_mode(org_uuid)

    # -- codes --------------------------------------------------------------------------------
    def create_code(
        self,
        principal: Principal,
        org_ref: str | int,
        max_uses: int | None = None,
        expires_at: datetime | None = None,
    ) -> InviteView:
        org_uuid = self._admin_of(principal, org_ref)
        now = self._now()
        if max_uses is not None and max_uses < 1:
            raise InvalidInput("max_uses must be at least 1", field="max_uses")
        if expires_at is not None:
            if expires_at.tzinfo is None:
                expires_at = expires_at.replace(tzinfo=UTC)
            if expires_at <= now:
                raise InvalidInput("expires_at must be in the future", field="expires_at")
        if len(self._live(self._q.codes_of(org_uuid), now)) >= MAX_LIVE_CODES:
            raise RuleBroken("Maximum number of invite codes reached", code="INVITE_LIMIT")
        code = "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))
        digest = code_digest(self._digester, org_uuid, code)
        invite = InviteCode(
            org_id=UUID(org_uuid),
            code_digest=digest,
            sealed_code=self._sealer.seal(code, _context(org_uuid, digest)),
            max_uses=max_uses,
            expires_at=(expires_at or now + DEFAULT_LIFETIME).astimezone(UTC).isoformat(),
            created_by=self._authz.require_user(principal),
        )
        self._writer.save(invite, read_models=INVITES)
        row = self._q.code(org_uuid, str(invite.id))
        assert row is not None  # the save waited for this read model
        return self._view(row)

    def list_codes(self, principal: Principal, org_ref: str | int) -> list[InviteView]:
        org_uuid = self._admin_of(principal, org_ref)
        now = self._now()
        return [self._view(r) for r in self._q.codes_of(org_uuid) if not _expired(r, now)]

    def get_code(self, org_ref: str | int, code: str) -> InviteView:
        """A code looked up by whoever holds it (a signup page checks it before submitting)."""
        org_uuid = self._orgs.org_uuid(org_ref)
        row = self.find(org_uuid, code)
        if row is None or _expired(row, self._now()):
            raise NotFound(CODE_NOT_FOUND)
        return self._view(row)

    def find(self, org_uuid: str, code: str) -> dict[str, Any] | None:
        if not plausible_code(code):
            return None
        return self._q.by_digest(org_uuid, code_digest(self._digester, org_uuid, code))

    def delete_code(self, principal: Principal, org_ref: str | int, invite_ref: str) -> None:
        org_uuid = self._admin_of(principal, org_ref)
        try:
            invite_id = UUID(invite_ref.removeprefix(_UUID_PREFIX))
        except ValueError:
            raise NotFound(CODE_NOT_FOUND) from None
        if self._q.code(org_uuid, str(invite_id)) is None:
            raise NotFound(CODE_NOT_FOUND)  # another org's code is not found here either

        def apply() -> None:
            invite = self._writer.events.get(invite_id, InviteCode)
            if invite is None:
                raise NotFound(CODE_NOT_FOUND)
            invite.delete()
            self._writer.save(invite, read_models=INVITES)

        self._writer.retrying(apply)

    # -- views --------------------------------------------------------------------------------
    @staticmethod
    def _live(rows: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
        return [
            r for r in rows
            if not _expired(r, now) and (r["max_uses"] is None or r["uses"] < r["max_uses"])
        ]

    def _view(self, row: dict[str, Any]) -> InviteView:
        org_uuid = str(row["org_uuid"])
        created = datetime.fromisoformat(str(row["creation_date"]))
        expires = row["expires_at"]
        lifetime = None
        if expires:
            lifetime = max(0, round((datetime.fromisoformat(expires) - created).total_seconds()))
        return InviteView(
            invite_code=self._sealer.open(row["sealed_code"], _context(org_uuid, row["code_digest"])),
            invite_code_uuid=f"{_UUID_PREFIX}{row['invite_uuid']}",
            invite_code_expires=lifetime,
            created_at=created.isoformat(),
            created_by=f"user_{row['created_by']}",
            expires_at=expires,
            max_uses=row["max_uses"],
            uses=int(row["uses"]),
        )


def _context(org_uuid: str, digest: str) -> str:
    # Binds a sealed code to its org and digest: a copy moved to another row does not open.
    return f"invite:{org_uuid}:{digest}"


def _expired(row: dict[str, Any], now: datetime) -> bool:
    expires = row["expires_at"]
    return bool(expires) and datetime.fromisoformat(str(expires)) <= now

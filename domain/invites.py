"""An invite code of an org: lets people sign up into an invite-only org.

One aggregate per code, so redeeming it (which counts a use) conflicts only with other
redemptions of the same code, never with the rest of the org. The code itself is never in an
event: the application records a keyed digest (to find it) and a sealed copy (to show it again
to the org's admins).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import Forbidden, NotFound

INVITE_INCORRECT = "Invite code is incorrect"


class InviteCode(Aggregate):
    class InviteCodeCreated(Aggregate.Created):
        org_id: UUID
        code_digest: str
        sealed_code: str
        max_uses: int | None
        expires_at: str | None  # ISO 8601, UTC
        created_by: UUID

    @event(InviteCodeCreated)
    def __init__(
        self,
        org_id: UUID,
        code_digest: str,
        sealed_code: str,
        max_uses: int | None,
        expires_at: str | None,
        created_by: UUID,
    ) -> None:
        self.org_id = org_id
        self.code_digest = code_digest
        self.sealed_code = sealed_code
        self.max_uses = max_uses
        self.expires_at = expires_at
        self.created_by = created_by
        self.uses = 0
        self.deleted = False

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and datetime.fromisoformat(self.expires_at) <= now

    def used_up(self) -> bool:
        return self.max_uses is not None and self.uses >= self.max_uses

    class InviteCodeUsed(Aggregate.Event):
        user_id: UUID

    @event(InviteCodeUsed)
    def _count_use(self, user_id: UUID) -> None:
        self.uses += 1

    def check_redeemable(self, now: datetime) -> None:
        """Refuse a deleted, expired or used-up code (before anything else is decided)."""
        if self.deleted:
            raise Forbidden(INVITE_INCORRECT, code="INVITE_INVALID")
        if self.expired(now):
            raise Forbidden("Invite code has expired", code="INVITE_EXPIRED")
        if self.used_up():
            raise Forbidden("Invite code has reached its usage limit", code="INVITE_USED_UP")

    def redeem(self, user_id: UUID, now: datetime) -> None:
        """Count one signup."""
        self.check_redeemable(now)
        self._count_use(user_id)

    class InviteCodeDeleted(Aggregate.Event):
        pass

    @event(InviteCodeDeleted)
    def _mark_deleted(self) -> None:
        self.deleted = True

    def delete(self) -> None:
        if self.deleted:
            raise NotFound("Invite code not found")
        self._mark_deleted()

"""Queries over the org signup read model (signup modes and invite codes)."""

from __future__ import annotations

from infrastructure.read_store import Row
from projections.invites import InvitesProjection


class InviteQueries:
    def __init__(self, projection: InvitesProjection) -> None:
        self._db = projection.store
        self.modes = projection.table("modes")
        self.codes = projection.table("codes")

    def signup_mode(self, org_uuid: str) -> str:
        row = self._db.fetchone(
            f"SELECT signup_mode FROM {self.modes} WHERE org_uuid = ?", (org_uuid,)
        )
        return str(row["signup_mode"]) if row else "open"

    def codes_of(self, org_uuid: str) -> list[Row]:
        return self._db.fetchall(
            f"SELECT * FROM {self.codes} WHERE org_uuid = ? ORDER BY id", (org_uuid,)
        )

    def code(self, org_uuid: str, invite_uuid: str) -> Row | None:
        return self._db.fetchone(
            f"SELECT * FROM {self.codes} WHERE org_uuid = ? AND invite_uuid = ?",
            (org_uuid, invite_uuid),
        )

    def by_digest(self, org_uuid: str, digest: str) -> Row | None:
        return self._db.fetchone(
            f"SELECT * FROM {self.codes} WHERE code_digest = ? AND org_uuid = ?",
            (digest, org_uuid),
        )

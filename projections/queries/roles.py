"""Custom roles looked up without knowing their org (``/roles/{role_id}`` routes)."""

from __future__ import annotations

from domain.ids import ref_lookup
from infrastructure.read_store import Row
from projections.identity import IdentityProjection


class RoleQueries:
    def __init__(self, identity: IdentityProjection) -> None:
        self._db = identity.store
        self.roles = identity.table("roles")
        self.memberships = identity.table("memberships")

    def role_row(self, ref: str) -> Row | None:
        """A custom role by numeric id or ``role_<uuid>`` (its ``org_uuid`` says whose it is)."""
        column, value = ref_lookup(ref, "role")
        if column == "id":
            return self._db.fetchone(f"SELECT * FROM {self.roles} WHERE id = ?", (value,))
        return self._db.fetchone(
            f"SELECT * FROM {self.roles} WHERE role_uuid = ?", (f"role_{value}",)
        )

    def holders(self, org_uuid: str, role_uuid: str) -> int:
        """Active members of the org who hold this role."""
        row = self._db.fetchone(
            f"SELECT COUNT(*) AS n FROM {self.memberships}"
            " WHERE org_uuid = ? AND role_uuid = ? AND active = 1",
            (org_uuid, role_uuid),
        )
        return int(row["n"]) if row else 0

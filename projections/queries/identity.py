"""Queries over the identity read model, returning application views."""

from __future__ import annotations

import json
from typing import Any

from application.views import MemberPage, MemberView, OrgView, RoleView, UserView
from domain.ids import ref_lookup
from domain.rights import BUILTIN_ROLES, Rights
from infrastructure.read_store import Row
from projections.engine.read_cache import ReadCache
from projections.identity import IdentityProjection

IDENTITY = ("identity",)

_USER_FIELDS = (
    "id, user_uuid, email, username, first_name, last_name, avatar_image, bio,"
    " creation_date, update_date"
)


def user_view(row: Row, prefix: str = "") -> UserView:
    return UserView(
        id=int(row[f"{prefix}id"]),
        user_uuid=f"user_{row[f'{prefix}user_uuid']}",
        username=row[f"{prefix}username"],
        first_name=row[f"{prefix}first_name"],
        last_name=row[f"{prefix}last_name"],
        email=row[f"{prefix}email"],
        avatar_image=row[f"{prefix}avatar_image"],
        bio=row[f"{prefix}bio"],
        creation_date=row[f"{prefix}creation_date"],
        update_date=row[f"{prefix}update_date"],
    )


def org_view(row: Row) -> OrgView:
    return OrgView(
        id=int(row["id"]),
        org_uuid=f"org_{row['org_uuid']}",
        name=row["name"],
        description=row["description"],
        slug=row["slug"],
        email=row["email"],
        logo_image=row["logo_image"],
        creation_date=row["creation_date"],
        update_date=row["update_date"],
    )


def builtin_role_view(role_uuid: str) -> RoleView:
    role_id, name, description, rights = BUILTIN_ROLES[role_uuid]
    return RoleView(
        id=role_id,
        org_id=None,
        name=name,
        description=description,
        rights=rights,
        role_type="TYPE_GLOBAL",
        role_uuid=role_uuid,
    )


class IdentityQueries:
    def __init__(self, projection: IdentityProjection, cache: ReadCache | None = None) -> None:
        self._p = projection
        self._db = projection.store
        self.cache = cache or ReadCache(None)
        self.orgs = projection.table("orgs")
        self.users = projection.table("users")
        self.memberships = projection.table("memberships")
        self.roles = projection.table("roles")
        self.revoked = projection.table("revoked_sessions")

    # -- orgs ---------------------------------------------------------------------------
    def _row(self, sql: str, params: tuple[Any, ...]) -> Row | None:
        """One row, remembered while the identity read model does not change (a copy each
        time: callers may add to the rows they get)."""
        row = self.cache.get((sql, params), IDENTITY, lambda: self._db.fetchone(sql, params))
        return None if row is None else dict(row)

    def org_row(self, ref: str | int) -> Row | None:
        """An org by numeric id, ``org_<uuid>`` or bare uuid."""
        column, value = ref_lookup(ref, "org")
        if column == "id":
            return self._row(f"SELECT * FROM {self.orgs} WHERE id = ?", (value,))
        return self._row(f"SELECT * FROM {self.orgs} WHERE org_uuid = ?", (value,))

    def org_by_slug(self, slug: str) -> Row | None:
        return self._row(f"SELECT * FROM {self.orgs} WHERE slug = ?", (slug,))

    def orgs_of_user(self, user_uuid: str) -> list[OrgView]:
        rows = self._db.fetchall(
            f"SELECT o.* FROM {self.orgs} o JOIN {self.memberships} m ON m.org_uuid = o.org_uuid"
            " WHERE m.user_uuid = ? AND m.active = 1 ORDER BY o.id",
            (user_uuid,),
        )
        return [org_view(r) for r in rows]

    # -- users --------------------------------------------------------------------------
    def user_row(self, user_uuid: str) -> Row | None:
        return self._row(
            f"SELECT * FROM {self.users} WHERE user_uuid = ?", (user_uuid.removeprefix("user_"),)
        )

    def user_row_by_ref(self, ref: str) -> Row | None:
        column, value = ref_lookup(ref, "user")
        if column == "id":
            return self._db.fetchone(f"SELECT * FROM {self.users} WHERE id = ?", (value,))
        return self.user_row(str(value))

    def user_by_email(self, email: str) -> Row | None:
        return self._db.fetchone(f"SELECT * FROM {self.users} WHERE email = ?", (email,))

    def user_by_username(self, username: str) -> Row | None:
        # Usernames are unique regardless of case (the uniqueness claim is on the lower case).
        return self._db.fetchone(
            f"SELECT * FROM {self.users} WHERE LOWER(username) = ?", (username.lower(),)
        )

    def users_by_uuid(self, user_uuids: set[str]) -> dict[str, UserView]:
        if not user_uuids:
            return {}
        key = tuple(sorted(user_uuids))

        def load() -> dict[str, UserView]:
            marks = ", ".join("?" for _ in key)
            rows = self._db.fetchall(
                f"SELECT {_USER_FIELDS} FROM {self.users} WHERE user_uuid IN ({marks})", key
            )
            return {r["user_uuid"]: user_view(r) for r in rows}

        return dict(self.cache.get(("users_by_uuid", key), IDENTITY, load))

    def live_session_password(self, user_uuid: str, session_id: str) -> str | None:
        """The password hash a live session is checked against: None when the user is gone
        or erased, or this session was revoked (asked on every request)."""
        row = self._row(
            f"SELECT password_hash, (SELECT COUNT(*) FROM {self.revoked} WHERE session_id = ?)"
            f" AS revoked FROM {self.users} WHERE user_uuid = ? AND erased = 0",
            (session_id, user_uuid),
        )
        return None if row is None or row["revoked"] else str(row["password_hash"])

    def session_revoked(self, session_id: str) -> bool:
        return (
            self._db.fetchone(f"SELECT 1 AS x FROM {self.revoked} WHERE session_id = ?", (session_id,))
            is not None
        )

    # -- memberships and roles ----------------------------------------------------------
    def membership(self, org_uuid: str, user_uuid: str) -> Row | None:
        return self._row(
            f"SELECT * FROM {self.memberships} WHERE org_uuid = ? AND user_uuid = ? AND active = 1",
            (org_uuid, user_uuid),
        )

    def admin_count(self, org_uuid: str) -> int:
        row = self._db.fetchone(
            f"SELECT COUNT(*) AS n FROM {self.memberships}"
            " WHERE org_uuid = ? AND role_uuid = 'role_global_admin' AND active = 1",
            (org_uuid,),
        )
        return int(row["n"]) if row else 0

    def role_rights(self, role_uuid: str, org_uuid: str) -> Rights | None:
        builtin = BUILTIN_ROLES.get(role_uuid)
        if builtin is not None:
            return builtin[3]
        row = self._row(
            f"SELECT rights FROM {self.roles} WHERE role_uuid = ? AND org_uuid = ?",
            (role_uuid, org_uuid),
        )
        return json.loads(row["rights"]) if row else None

    def role(self, role_uuid: str, org_uuid: str) -> RoleView | None:
        if role_uuid in BUILTIN_ROLES:
            return builtin_role_view(role_uuid)
        row = self._db.fetchone(
            f"SELECT r.*, o.id AS org_numeric FROM {self.roles} r"
            f" JOIN {self.orgs} o ON o.org_uuid = r.org_uuid"
            " WHERE r.role_uuid = ? AND r.org_uuid = ?",
            (role_uuid, org_uuid),
        )
        return self._role_view(row) if row else None

    def _role_view(self, row: Row) -> RoleView:
        return RoleView(
            id=int(row["id"]),
            org_id=int(row["org_numeric"]),
            name=row["name"],
            description=row["description"],
            rights=json.loads(row["rights"]),
            role_type="TYPE_ORGANIZATION",
            role_uuid=row["role_uuid"],
            creation_date=row["creation_date"],
            update_date=row["update_date"],
        )

    def roles_of_org(self, org_uuid: str) -> list[RoleView]:
        rows = self._db.fetchall(
            f"SELECT r.*, o.id AS org_numeric FROM {self.roles} r"
            f" JOIN {self.orgs} o ON o.org_uuid = r.org_uuid WHERE r.org_uuid = ? ORDER BY r.id",
            (org_uuid,),
        )
        return [builtin_role_view(uuid) for uuid in BUILTIN_ROLES] + [
            self._role_view(r) for r in rows
        ]

    def members(self, org_uuid: str, page: int, limit: int) -> MemberPage:
        total_row = self._db.fetchone(
            f"SELECT COUNT(*) AS n FROM {self.memberships} WHERE org_uuid = ? AND active = 1",
            (org_uuid,),
        )
        rows = self._db.fetchall(
            f"SELECT m.role_uuid, m.joined_at, u.* FROM {self.memberships} m"
            f" JOIN {self.users} u ON u.user_uuid = m.user_uuid"
            " WHERE m.org_uuid = ? AND m.active = 1 ORDER BY u.id LIMIT ? OFFSET ?",
            (org_uuid, limit, (page - 1) * limit),
        )
        roles: dict[str, Any] = {}
        items = []
        for r in rows:
            role = roles.get(r["role_uuid"])
            if role is None:
                # A deleted custom role grants nothing; show the member as a plain User.
                role = roles[r["role_uuid"]] = self.role(
                    r["role_uuid"], org_uuid
                ) or builtin_role_view("role_global_user")
            items.append(MemberView(user=user_view(r), role=role, joined_at=r["joined_at"]))
        return MemberPage(
            items=items, total=int(total_row["n"]) if total_row else 0, page=page, limit=limit
        )

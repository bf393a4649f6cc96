"""Identity read model: orgs, users, memberships, custom roles, revoked sessions.

Numeric ids (``org.id``, ``user.id``, ``role.id``) are the log positions of the creation events:
unique, increasing, assigned by the store and identical after any rebuild.
"""

from __future__ import annotations

import json

from domain.memberships import Membership
from domain.orgs import Org
from domain.personal_data import Kind, placeholder
from domain.roles import Role
from domain.users import User
from infrastructure.event_store import LoggedEvent
from infrastructure.read_store import Tx
from infrastructure.uuid_text import uuid_text
from projections.engine.framework import Handler, Projection


def ts(logged: LoggedEvent) -> str:
    return logged.event.timestamp.isoformat()  # type: ignore[attr-defined]


def oid(logged: LoggedEvent) -> str:
    return logged.oid


_ORG_COLUMNS = {"name", "slug", "description", "email", "logo_image"}
_USER_COLUMNS = {"email", "username", "first_name", "last_name", "avatar_image", "bio"}


class IdentityProjection(Projection):
    name = "identity"
    # v2: users.erased (an erased person's row reads as placeholders and has no live session)
    version = 2
    tables = {
        "orgs": (
            "org_uuid TEXT PRIMARY KEY, id BIGINT NOT NULL UNIQUE, name TEXT NOT NULL,"
            " slug TEXT NOT NULL, description TEXT NOT NULL, email TEXT NOT NULL,"
            " logo_image TEXT NOT NULL, creator_uuid TEXT, deleted INTEGER NOT NULL,"
            " creation_date TEXT NOT NULL, update_date TEXT NOT NULL"
        ),
        "users": (
            "user_uuid TEXT PRIMARY KEY, id BIGINT NOT NULL UNIQUE, email TEXT NOT NULL,"
            " username TEXT NOT NULL, first_name TEXT NOT NULL, last_name TEXT NOT NULL,"
            " avatar_image TEXT NOT NULL, bio TEXT NOT NULL, password_hash TEXT NOT NULL,"
            " creation_date TEXT NOT NULL, update_date TEXT NOT NULL,"
            " erased INTEGER NOT NULL DEFAULT 0"
        ),
        "memberships": (
            "membership_id TEXT NOT NULL UNIQUE, org_uuid TEXT NOT NULL, user_uuid TEXT NOT NULL,"
            " role_uuid TEXT NOT NULL,"
            " active INTEGER NOT NULL, joined_at TEXT NOT NULL, updated_at TEXT NOT NULL,"
            " PRIMARY KEY (org_uuid, user_uuid)"
        ),
        "roles": (
            "role_uuid TEXT PRIMARY KEY, id BIGINT NOT NULL UNIQUE, org_uuid TEXT NOT NULL,"
            " name TEXT NOT NULL, description TEXT NOT NULL, rights TEXT NOT NULL,"
            " deleted INTEGER NOT NULL, creation_date TEXT NOT NULL, update_date TEXT NOT NULL"
        ),
        "revoked_sessions": "session_id TEXT PRIMARY KEY, user_uuid TEXT NOT NULL",
    }
    indexes = (
        "CREATE INDEX IF NOT EXISTS {orgs}_slug ON {orgs} (slug)",
        "CREATE INDEX IF NOT EXISTS {users}_email ON {users} (email)",
        "CREATE INDEX IF NOT EXISTS {memberships}_user ON {memberships} (user_uuid)",
        "CREATE INDEX IF NOT EXISTS {roles}_org ON {roles} (org_uuid)",
    )

    def handlers(self) -> dict[type, Handler]:
        return {
            Org.OrgCreated: self._org_created,
            Org.OrgUpdated: self._org_updated,
            Org.OrgDeleted: self._org_deleted,
            User.UserRegistered: self._user_registered,
            User.UserProfileUpdated: self._user_updated,
            User.UserPasswordChanged: self._password_changed,
            User.UserSessionRevoked: self._session_revoked,
            User.UserErased: self._user_erased,
            Membership.UserJoinedOrg: self._joined,
            Membership.UserRejoinedOrg: self._rejoined,
            Membership.UserRoleChanged: self._role_changed,
            Membership.UserRemovedFromOrg: self._removed,
            Role.RoleCreated: self._role_created,
            Role.RoleUpdated: self._role_updated,
            Role.RoleDeleted: self._role_deleted,
        }

    def _org_created(self, tx: Tx, logged: LoggedEvent) -> None:
        e = logged.event
        tx.execute(
            f"INSERT INTO {self.table('orgs')} (org_uuid, id, name, slug, description, email,"
            " logo_image, creator_uuid, deleted, creation_date, update_date)"
            " VALUES (?, ?, ?, ?, ?, ?, '', ?, 0, ?, ?)",
            (
                oid(logged), logged.position, e.name, e.slug, e.description, e.email,  # type: ignore[attr-defined]
                uuid_text(e.creator_id) if e.creator_id else None,  # type: ignore[attr-defined]
                ts(logged), ts(logged),
            ),
        )

    def _org_updated(self, tx: Tx, logged: LoggedEvent) -> None:
        changes = {k: v for k, v in logged.event.changes.items() if k in _ORG_COLUMNS}  # type: ignore[attr-defined]
        self._update(tx, "orgs", "org_uuid", oid(logged), changes, ts(logged))

    def _org_deleted(self, tx: Tx, logged: LoggedEvent) -> None:
        tx.execute(f"DELETE FROM {self.table('orgs')} WHERE org_uuid = ?", (oid(logged),))
        tx.execute(
            f"DELETE FROM {self.table('memberships')} WHERE org_uuid = ?", (oid(logged),)
        )

    def _update(
        self, tx: Tx, table: str, key: str, value: str, changes: dict[str, object], when: str
    ) -> None:
        if not changes:
            return
        assigns = ", ".join(f"{column} = ?" for column in changes)
        tx.execute(
            f"UPDATE {self.table(table)} SET {assigns}, update_date = ? WHERE {key} = ?",
            (*changes.values(), when, value),
        )

    def _user_registered(self, tx: Tx, logged: LoggedEvent) -> None:
        e = logged.event
        tx.execute(
            f"INSERT INTO {self.table('users')} (user_uuid, id, email, username, first_name,"
            " last_name, avatar_image, bio, password_hash, creation_date, update_date)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?)",
            (
                oid(logged), logged.position, e.email, e.username, e.first_name,  # type: ignore[attr-defined]
                e.last_name, e.avatar_image, e.password_hash, ts(logged), ts(logged),  # type: ignore[attr-defined]
            ),
        )

    def _user_updated(self, tx: Tx, logged: LoggedEvent) -> None:
        changes = {k: v for k, v in logged.event.changes.items() if k in _USER_COLUMNS}  # type: ignore[attr-defined]
        self._update(tx, "users", "user_uuid", oid(logged), changes, ts(logged))

    def _password_changed(self, tx: Tx, logged: LoggedEvent) -> None:
        self._update(
            tx, "users", "user_uuid", oid(logged),
            {"password_hash": logged.event.password_hash}, ts(logged),  # type: ignore[attr-defined]
        )

    def _user_erased(self, tx: Tx, logged: LoggedEvent) -> None:
        """The row stays (members lists, course authors and progress still name someone), with
        every personal column as its placeholder; no password, so no sign-in, and no session
        stays live (``erased``)."""
        subject = oid(logged)
        tx.execute(
            f"UPDATE {self.table('users')} SET email = ?, username = ?, first_name = ?,"
            " last_name = ?, avatar_image = ?, bio = ?, password_hash = '', erased = 1,"
            " update_date = ? WHERE user_uuid = ?",
            (
                *(placeholder(kind, subject) for kind in (
                    Kind.EMAIL, Kind.USERNAME, Kind.FIRST_NAME, Kind.LAST_NAME, Kind.AVATAR, Kind.BIO,
                )),
                ts(logged), subject,
            ),
        )

    def _session_revoked(self, tx: Tx, logged: LoggedEvent) -> None:
        tx.execute(
            f"INSERT INTO {self.table('revoked_sessions')} (session_id, user_uuid) VALUES (?, ?)"
            " ON CONFLICT (session_id) DO NOTHING",
            (logged.event.session_id, oid(logged)),  # type: ignore[attr-defined]
        )

    def _joined(self, tx: Tx, logged: LoggedEvent) -> None:
        e = logged.event
        tx.execute(
            f"INSERT INTO {self.table('memberships')} (membership_id, org_uuid, user_uuid,"
            " role_uuid, active, joined_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)",
            (oid(logged), uuid_text(e.org_id), uuid_text(e.user_id), e.role_uuid, ts(logged), ts(logged)),  # type: ignore[attr-defined]
        )

    def _rejoined(self, tx: Tx, logged: LoggedEvent) -> None:
        self._set_membership(tx, logged, role_uuid=logged.event.role_uuid, active=1)  # type: ignore[attr-defined]

    def _role_changed(self, tx: Tx, logged: LoggedEvent) -> None:
        self._set_membership(tx, logged, role_uuid=logged.event.role_uuid)  # type: ignore[attr-defined]

    def _removed(self, tx: Tx, logged: LoggedEvent) -> None:
        self._set_membership(tx, logged, active=0)

    def _set_membership(self, tx: Tx, logged: LoggedEvent, **values: object) -> None:
        assigns = ", ".join(f"{k} = ?" for k in values)
        tx.execute(
            f"UPDATE {self.table('memberships')} SET {assigns}, updated_at = ?"
            " WHERE membership_id = ?",
            (*values.values(), ts(logged), oid(logged)),
        )

    def _role_created(self, tx: Tx, logged: LoggedEvent) -> None:
        e = logged.event
        tx.execute(
            f"INSERT INTO {self.table('roles')} (role_uuid, id, org_uuid, name, description,"
            " rights, deleted, creation_date, update_date) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
            (
                f"role_{oid(logged)}", logged.position, uuid_text(e.org_id), e.name,  # type: ignore[attr-defined]
                e.description, json.dumps(e.rights), ts(logged), ts(logged),  # type: ignore[attr-defined]
            ),
        )

    def _role_updated(self, tx: Tx, logged: LoggedEvent) -> None:
        e = logged.event
        self._update(
            tx, "roles", "role_uuid", f"role_{oid(logged)}",
            {"name": e.name, "description": e.description, "rights": json.dumps(e.rights)},  # type: ignore[attr-defined]
            ts(logged),
        )

    def _role_deleted(self, tx: Tx, logged: LoggedEvent) -> None:
        tx.execute(
            f"DELETE FROM {self.table('roles')} WHERE role_uuid = ?", (f"role_{oid(logged)}",)
        )

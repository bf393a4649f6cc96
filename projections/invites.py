"""Org signup read model: each org's signup mode and its live invite codes.

An org without a row here is open (the default). Codes hold their keyed digest (looked up at
signup) and a sealed copy of the code (opened for the org's admins), never the code itself.
A deleted code's row is removed; a deleted org takes its mode and codes with it.
"""

from __future__ import annotations

from domain.invites import InviteCode
from domain.orgs import Org
from infrastructure.event_store import LoggedEvent
from infrastructure.read_store import Tx
from infrastructure.uuid_text import uuid_text
from projections.engine.framework import Handler, Projection
from projections.identity import oid, ts


class InvitesProjection(Projection):
    name = "org_invites"
    version = 1
    tables = {
        "modes": "org_uuid TEXT PRIMARY KEY, signup_mode TEXT NOT NULL, update_date TEXT NOT NULL",
        "codes": (
            "invite_uuid TEXT PRIMARY KEY, id BIGINT NOT NULL UNIQUE, org_uuid TEXT NOT NULL,"
            " code_digest TEXT NOT NULL, sealed_code TEXT NOT NULL, max_uses INTEGER,"
            " uses INTEGER NOT NULL, expires_at TEXT, created_by TEXT NOT NULL,"
            " creation_date TEXT NOT NULL, update_date TEXT NOT NULL"
        ),
    }
    indexes = (
        "CREATE INDEX IF NOT EXISTS {codes}_digest ON {codes} (code_digest)",
        "CREATE INDEX IF NOT EXISTS {codes}_org ON {codes} (org_uuid, id)",
    )

    def handlers(self) -> dict[type, Handler]:
        return {
            Org.OrgSignupModeChanged: self._mode_changed,
            Org.OrgDeleted: self._org_deleted,
            InviteCode.InviteCodeCreated: self._created,
            InviteCode.InviteCodeUsed: self._used,
            InviteCode.InviteCodeDeleted: self._deleted,
        }

    def _mode_changed(self, tx: Tx, logged: LoggedEvent) -> None:
        tx.execute(
            f"INSERT INTO {self.table('modes')} (org_uuid, signup_mode, update_date)"
            " VALUES (?, ?, ?) ON CONFLICT (org_uuid) DO UPDATE"
            " SET signup_mode = excluded.signup_mode, update_date = excluded.update_date",
            (oid(logged), logged.event.signup_mode, ts(logged)),  # type: ignore[attr-defined]
        )

    def _org_deleted(self, tx: Tx, logged: LoggedEvent) -> None:
        tx.execute(f"DELETE FROM {self.table('modes')} WHERE org_uuid = ?", (oid(logged),))
        tx.execute(f"DELETE FROM {self.table('codes')} WHERE org_uuid = ?", (oid(logged),))

    def _created(self, tx: Tx, logged: LoggedEvent) -> None:
        e = logged.event
        tx.execute(
            f"INSERT INTO {self.table('codes')} (invite_uuid, id, org_uuid, code_digest,"
            " sealed_code, max_uses, uses, expires_at, created_by, creation_date, update_date)"
            " VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)",
            (
                oid(logged), logged.position, uuid_text(e.org_id), e.code_digest, e.sealed_code,  # type: ignore[attr-defined]
                e.max_uses, e.expires_at, uuid_text(e.created_by), ts(logged), ts(logged),  # type: ignore[attr-defined]
            ),
        )

    def _used(self, tx: Tx, logged: LoggedEvent) -> None:
        tx.execute(
            f"UPDATE {self.table('codes')} SET uses = uses + 1, update_date = ?"
            " WHERE invite_uuid = ?",
            (ts(logged), oid(logged)),
        )

    def _deleted(self, tx: Tx, logged: LoggedEvent) -> None:
        tx.execute(f"DELETE FROM {self.table('codes')} WHERE invite_uuid = ?", (oid(logged),))

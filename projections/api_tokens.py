"""API token read model: one row per token (revoked ones kept, ``active = 0``).

It holds the keyed hash and the public prefix (the lookup key on every token request),
never the secret. ``last_used_at`` is not here: it is not a fact of the log but a usage
counter, kept in its own small table (see ``projections.queries.api_tokens.TokenUsage``).
"""

from __future__ import annotations

import json

from domain.api_tokens import ApiToken
from infrastructure.event_store import LoggedEvent
from infrastructure.read_store import Tx
from projections.engine.framework import Handler, Projection
from projections.identity import oid, ts


class ApiTokenProjection(Projection):
    name = "api_tokens"
    version = 1
    tables = {
        "tokens": (
            "token_uuid TEXT PRIMARY KEY, id BIGINT NOT NULL UNIQUE, org_uuid TEXT NOT NULL,"
            " creator_uuid TEXT NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL,"
            " token_prefix TEXT NOT NULL, secret_hash TEXT NOT NULL, rights TEXT NOT NULL,"
            " expires_at TEXT, active INTEGER NOT NULL, creation_date TEXT NOT NULL,"
            " update_date TEXT NOT NULL"
        ),
    }
    indexes = (
        "CREATE INDEX IF NOT EXISTS {tokens}_prefix ON {tokens} (token_prefix)",
        "CREATE INDEX IF NOT EXISTS {tokens}_org ON {tokens} (org_uuid, id)",
    )

    def handlers(self) -> dict[type, Handler]:
        return {
            ApiToken.ApiTokenIssued: self._issued,
            ApiToken.ApiTokenUpdated: self._updated,
            ApiToken.ApiTokenRightsChanged: self._rights_changed,
            ApiToken.ApiTokenRegenerated: self._regenerated,
            ApiToken.ApiTokenRevoked: self._revoked,
        }

    def _issued(self, tx: Tx, logged: LoggedEvent) -> None:
        e = logged.event
        tx.execute(
            f"INSERT INTO {self.table('tokens')} (token_uuid, id, org_uuid, creator_uuid, name,"
            " description, token_prefix, secret_hash, rights, expires_at, active, creation_date,"
            " update_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
            (
                oid(logged), logged.position, str(e.org_id), str(e.creator_id), e.name,  # type: ignore[attr-defined]
                e.description, e.token_prefix, e.secret_hash,  # type: ignore[attr-defined]
                json.dumps(e.rights, sort_keys=True), e.expires_at, ts(logged), ts(logged),  # type: ignore[attr-defined]
            ),
        )

    def _set(self, tx: Tx, logged: LoggedEvent, values: dict[str, object]) -> None:
        assigns = ", ".join(f"{k} = ?" for k in values)
        tx.execute(
            f"UPDATE {self.table('tokens')} SET {assigns}, update_date = ? WHERE token_uuid = ?",
            (*values.values(), ts(logged), oid(logged)),
        )

    def _updated(self, tx: Tx, logged: LoggedEvent) -> None:
        changes = logged.event.changes  # type: ignore[attr-defined]
        values = {k: changes[k] for k in ("name", "description", "expires_at") if k in changes}
        if values:
            self._set(tx, logged, values)

    def _rights_changed(self, tx: Tx, logged: LoggedEvent) -> None:
        rights = logged.event.rights  # type: ignore[attr-defined]
        self._set(tx, logged, {"rights": json.dumps(rights, sort_keys=True)})

    def _regenerated(self, tx: Tx, logged: LoggedEvent) -> None:
        e = logged.event
        self._set(tx, logged, {"token_prefix": e.token_prefix, "secret_hash": e.secret_hash})  # type: ignore[attr-defined]

    def _revoked(self, tx: Tx, logged: LoggedEvent) -> None:
        self._set(tx, logged, {"active": 0})

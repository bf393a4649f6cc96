"""Queries over API tokens, and the token usage table (``last_used_at``)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from infrastructure.read_store import ReadStore, Row
from projections.api_tokens import ApiTokenProjection

USAGE_TABLE = "api_token_usage"


class ApiTokenQueries:
    def __init__(self, projection: ApiTokenProjection, memberships_table: str) -> None:
        self._db = projection.store
        self.tokens = projection.table("tokens")
        self._memberships = memberships_table

    def by_prefix(self, prefix: str) -> list[Row]:
        """Candidates for a presented token (a prefix collision is possible, if unlikely).

        Also fetches the creator's current role in the token's org, so the resolver caps
        the token at what its creator may still do, in the same single query.
        """
        return self._db.fetchall(
            f"SELECT t.token_uuid, t.org_uuid, t.creator_uuid, t.secret_hash, t.rights,"
            f" t.expires_at, t.active, m.role_uuid AS creator_role FROM {self.tokens} t"
            f" LEFT JOIN {self._memberships} m ON m.org_uuid = t.org_uuid"
            " AND m.user_uuid = t.creator_uuid AND m.active = 1"
            " WHERE t.token_prefix = ?",
            (prefix,),
        )

    def row(self, token_uuid: str) -> Row | None:
        return self._decode(
            self._db.fetchone(
                f"SELECT * FROM {self.tokens} WHERE token_uuid = ?",
                (token_uuid.removeprefix("apitoken_"),),
            )
        )

    def page(self, org_uuid: str, page: int, limit: int) -> list[Row]:
        rows = self._db.fetchall(
            f"SELECT * FROM {self.tokens} WHERE org_uuid = ? ORDER BY id DESC LIMIT ? OFFSET ?",
            (org_uuid, limit, (page - 1) * limit),
        )
        return [r for r in (self._decode(r) for r in rows) if r is not None]

    def active_name_taken(self, org_uuid: str, name: str, except_uuid: str = "") -> bool:
        row = self._db.fetchone(
            f"SELECT token_uuid FROM {self.tokens}"
            " WHERE org_uuid = ? AND lower(name) = lower(?) AND active = 1 AND token_uuid <> ?",
            (org_uuid, name, except_uuid),
        )
        return row is not None

    @staticmethod
    def _decode(row: Row | None) -> Row | None:
        if row is not None:
            row = dict(row)
            row["rights"] = json.loads(row["rights"])
        return row


class TokenUsage:
    """When each token was last used: a plain table, written in coalesced batches.

    Usage is telemetry, not a business fact: an event per request would grow the log by the
    request rate and serialise every token request on the log's append lock. The table is
    outside any projection (a rebuild leaves it alone) and only moves forward in time.
    """

    def __init__(self, store: ReadStore) -> None:
        self._db = store
        with store.transaction() as tx:
            tx.execute(
                f"CREATE TABLE IF NOT EXISTS {USAGE_TABLE}"
                " (token_uuid TEXT PRIMARY KEY, last_used_at TEXT NOT NULL)"
            )

    def record(self, seen: Mapping[str, str]) -> None:
        if not seen:
            return
        with self._db.transaction() as tx:
            tx.executemany(
                f"INSERT INTO {USAGE_TABLE} (token_uuid, last_used_at) VALUES (?, ?)"
                " ON CONFLICT (token_uuid) DO UPDATE SET last_used_at = excluded.last_used_at"
                f" WHERE excluded.last_used_at > {USAGE_TABLE}.last_used_at",
                sorted(seen.items()),
            )

    def last_used(self, token_uuids: list[str]) -> dict[str, str]:
        if not token_uuids:
            return {}
        marks = ", ".join("?" for _ in token_uuids)
        rows = self._db.fetchall(
            f"SELECT token_uuid, last_used_at FROM {USAGE_TABLE} WHERE token_uuid IN ({marks})",
            tuple(token_uuids),
        )
        return {r["token_uuid"]: r["last_used_at"] for r in rows}

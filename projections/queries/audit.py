"""Queries over the audit chain: pages of an org's chain links, filtered, in log order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from infrastructure.read_store import Row
from projections.audit_chain import AuditChainProjection
from projections.engine.framework import saved_position


@dataclass(frozen=True)
class AuditFilter:
    #: one org (the API always sets it); None: every org, in log order (the CLI)
    org_uuid: str | None = None
    after: int = 0
    #: the chain's position when the export began: later events belong to the next pull
    upto: int | None = None
    since: str | None = None  # inclusive, fixed-width ISO-8601 UTC
    until: str | None = None  # exclusive
    events: frozenset[str] | None = None
    aggregate_uuid: str | None = None
    actor: str | None = None


class AuditQueries:
    def __init__(self, projection: AuditChainProjection) -> None:
        self._p = projection
        self._store = projection.store

    def chain_position(self) -> int:
        return saved_position(self._store, self._p) or 0

    def page(self, f: AuditFilter, after: int, limit: int) -> list[Row]:
        """The next ``limit`` links after position ``after`` that pass the filter (keyset
        paging: each page is one indexed range read, whatever the export's size)."""
        where = ["position > ?"]
        params: list[Any] = [after]
        if f.org_uuid is not None:
            where.append("org_uuid = ?")
            params.append(f.org_uuid)
        if f.upto is not None:
            where.append("position <= ?")
            params.append(f.upto)
        for clause, value in (
            ("time >= ?", f.since), ("time < ?", f.until),
            ("aggregate_uuid = ?", f.aggregate_uuid), ("actor = ?", f.actor),
        ):
            if value is not None:
                where.append(clause)
                params.append(value)
        if f.events is not None:
            names: Sequence[str] = sorted(f.events)
            where.append(f"event IN ({','.join('?' * len(names))})")
            params.extend(names)
        params.append(limit)
        return self._store.fetchall(
            f"SELECT org_uuid, position, seq, prev, hash FROM {self._p.table('links')}"
            f" WHERE {' AND '.join(where)} ORDER BY position LIMIT ?",
            params,
        )

    def head(self, org_uuid: str) -> Row | None:
        return self._store.fetchone(
            f"SELECT seq, position, hash FROM {self._p.table('heads')} WHERE org_uuid = ?",
            (org_uuid,),
        )

    def links_of(self, aggregate_uuid: str) -> list[Row]:
        return self._store.fetchall(
            f"SELECT org_uuid, position, seq, prev, hash, actor FROM {self._p.table('links')}"
            " WHERE aggregate_uuid = ? ORDER BY position",
            (aggregate_uuid,),
        )

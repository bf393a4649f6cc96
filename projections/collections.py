"""Collections read model (one row per live collection) and its queries."""

from __future__ import annotations

import json
from typing import Any

from domain.collections import Collection
from domain.ids import ref_lookup
from domain.orgs import Org
from infrastructure.event_store import LoggedEvent
from infrastructure.read_store import Row, Tx
from infrastructure.uuid_text import uuid_text
from projections.content import sql_value
from projections.engine.framework import Handler, Projection
from projections.identity import oid, ts

COLUMNS = ("name", "description", "public", "course_ids")


class CollectionsProjection(Projection):
    name = "collections"
    version = 1
    tables = {
        "orgs": "org_uuid TEXT PRIMARY KEY, id BIGINT NOT NULL",
        "collections": (
            "collection_uuid TEXT PRIMARY KEY, id BIGINT NOT NULL UNIQUE, org_uuid TEXT NOT NULL,"
            " org_id BIGINT NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL,"
            " public INTEGER NOT NULL, course_ids TEXT NOT NULL, creation_date TEXT NOT NULL,"
            " update_date TEXT NOT NULL"
        ),
    }
    indexes = ("CREATE INDEX IF NOT EXISTS {collections}_org ON {collections} (org_uuid, id)",)

    def handlers(self) -> dict[type, Handler]:
        return {
            Org.OrgCreated: self._org_created,
            Org.OrgDeleted: self._org_deleted,
            Collection.CollectionCreated: self._created,
            Collection.CollectionUpdated: self._updated,
            Collection.CollectionDeleted: self._deleted,
        }

    def _org_created(self, tx: Tx, logged: LoggedEvent) -> None:
        tx.execute(
            f"INSERT INTO {self.table('orgs')} (org_uuid, id) VALUES (?, ?)",
            (oid(logged), logged.position),
        )

    def _org_deleted(self, tx: Tx, logged: LoggedEvent) -> None:
        for logical in self.tables:
            tx.execute(f"DELETE FROM {self.table(logical)} WHERE org_uuid = ?", (oid(logged),))

    def _created(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        org = tx.fetchone(f"SELECT id FROM {self.table('orgs')} WHERE org_uuid = ?", (uuid_text(e.org_id),))
        tx.execute(
            f"INSERT INTO {self.table('collections')} (collection_uuid, id, org_uuid, org_id, name,"
            " description, public, course_ids, creation_date, update_date)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                oid(logged), logged.position, uuid_text(e.org_id), int(org["id"]) if org else 0, e.name,
                e.description, int(e.public), sql_value(list(e.course_ids)), ts(logged), ts(logged),
            ),
        )

    def _updated(self, tx: Tx, logged: LoggedEvent) -> None:
        values = {k: sql_value(v) for k, v in logged.event.changes.items() if k in COLUMNS}  # type: ignore[attr-defined]
        if not values:
            return
        assigns = "".join(f"{k} = ?, " for k in values)
        tx.execute(
            f"UPDATE {self.table('collections')} SET {assigns}update_date = ? WHERE collection_uuid = ?",
            (*values.values(), ts(logged), oid(logged)),
        )

    def _deleted(self, tx: Tx, logged: LoggedEvent) -> None:
        tx.execute(f"DELETE FROM {self.table('collections')} WHERE collection_uuid = ?", (oid(logged),))


class CollectionQueries:
    def __init__(self, projection: CollectionsProjection) -> None:
        self._db = projection.store
        self.collections = projection.table("collections")

    def row(self, ref: str) -> Row | None:
        """A collection by numeric id, ``collection_<uuid>`` or bare uuid."""
        column, value = ref_lookup(ref, "collection")
        if column == "id":
            return self._db.fetchone(f"SELECT * FROM {self.collections} WHERE id = ?", (value,))
        return self._db.fetchone(f"SELECT * FROM {self.collections} WHERE collection_uuid = ?", (value,))

    def page(self, org_uuid: str, members: bool, page: int, limit: int) -> list[Row]:
        where = "" if members else " AND public = 1"
        return self._db.fetchall(
            f"SELECT * FROM {self.collections} WHERE org_uuid = ?{where}"
            " ORDER BY id DESC LIMIT ? OFFSET ?",
            (org_uuid, limit, (page - 1) * limit),
        )


def course_ids(row: Row) -> list[str]:
    return list(json.loads(row["course_ids"]))

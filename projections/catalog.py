"""Course catalog read model: one row per live course, with its org's numeric id and slug.

The projection keeps its own small org table (uuid → numeric id, slug) so it never reads
another projection's tables: each read model can be rebuilt on its own.
"""

from __future__ import annotations

from domain.courses import Course
from domain.orgs import Org
from infrastructure.event_store import LoggedEvent
from infrastructure.read_store import Tx
from projections.framework import Handler, Projection
from projections.identity import oid, ts

COURSE_COLUMNS = (
    "name", "description", "about", "learnings", "tags", "public", "published",
    "open_to_contributors", "thumbnail_image",
)


def _sql_value(value: object) -> object:
    return int(value) if isinstance(value, bool) else value


class CatalogProjection(Projection):
    name = "catalog"
    version = 1
    tables = {
        "orgs": "org_uuid TEXT PRIMARY KEY, id BIGINT NOT NULL, slug TEXT NOT NULL",
        "courses": (
            "course_uuid TEXT PRIMARY KEY, id BIGINT NOT NULL UNIQUE, org_uuid TEXT NOT NULL,"
            " org_id BIGINT NOT NULL, author_uuid TEXT NOT NULL, name TEXT NOT NULL,"
            " description TEXT NOT NULL, about TEXT NOT NULL, learnings TEXT NOT NULL,"
            " tags TEXT NOT NULL, thumbnail_image TEXT NOT NULL, public INTEGER NOT NULL,"
            " published INTEGER NOT NULL, open_to_contributors INTEGER NOT NULL,"
            " creation_date TEXT NOT NULL, update_date TEXT NOT NULL"
        ),
    }
    indexes = (
        "CREATE INDEX IF NOT EXISTS {orgs}_slug ON {orgs} (slug)",
        "CREATE INDEX IF NOT EXISTS {courses}_org ON {courses} (org_uuid, id)",
    )

    def handlers(self) -> dict[type, Handler]:
        return {
            Org.OrgCreated: self._org_created,
            Org.OrgUpdated: self._org_updated,
            Org.OrgDeleted: self._org_deleted,
            Course.CourseCreated: self._created,
            Course.CourseUpdated: self._updated,
            Course.CoursePublished: self._published,
            Course.CourseUnpublished: self._unpublished,
            Course.CourseDeleted: self._deleted,
        }

    def _org_created(self, tx: Tx, logged: LoggedEvent) -> None:
        tx.execute(
            f"INSERT INTO {self.table('orgs')} (org_uuid, id, slug) VALUES (?, ?, ?)",
            (oid(logged), logged.position, logged.event.slug),  # type: ignore[attr-defined]
        )

    def _org_updated(self, tx: Tx, logged: LoggedEvent) -> None:
        slug = logged.event.changes.get("slug")  # type: ignore[attr-defined]
        if slug:
            tx.execute(
                f"UPDATE {self.table('orgs')} SET slug = ? WHERE org_uuid = ?",
                (slug, oid(logged)),
            )

    def _org_deleted(self, tx: Tx, logged: LoggedEvent) -> None:
        tx.execute(f"DELETE FROM {self.table('orgs')} WHERE org_uuid = ?", (oid(logged),))
        tx.execute(f"DELETE FROM {self.table('courses')} WHERE org_uuid = ?", (oid(logged),))

    def _created(self, tx: Tx, logged: LoggedEvent) -> None:
        e = logged.event
        org_uuid = str(e.org_id)  # type: ignore[attr-defined]
        tx.execute(  # the org's numeric id looked up in the same statement: one round trip
            f"INSERT INTO {self.table('courses')} (course_uuid, id, org_uuid, org_id,"
            " author_uuid, name, description, about, learnings, tags, thumbnail_image, public,"
            " published, open_to_contributors, creation_date, update_date)"
            " VALUES (?, ?, ?,"
            f" COALESCE((SELECT id FROM {self.table('orgs')} WHERE org_uuid = ?), 0),"
            " ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
            (
                oid(logged), logged.position, org_uuid, org_uuid,
                str(e.author_id), e.name, e.description, e.about, e.learnings, e.tags,  # type: ignore[attr-defined]
                e.thumbnail_image, int(e.public), int(e.published), ts(logged), ts(logged),  # type: ignore[attr-defined]
            ),
        )

    def _set(self, tx: Tx, logged: LoggedEvent, values: dict[str, object]) -> None:
        values = {k: _sql_value(v) for k, v in values.items() if k in COURSE_COLUMNS}
        if not values:
            return
        assigns = ", ".join(f"{k} = ?" for k in values)
        tx.execute(
            f"UPDATE {self.table('courses')} SET {assigns}, update_date = ?"
            " WHERE course_uuid = ?",
            (*values.values(), ts(logged), oid(logged)),
        )

    def _updated(self, tx: Tx, logged: LoggedEvent) -> None:
        self._set(tx, logged, logged.event.changes)  # type: ignore[attr-defined]

    def _published(self, tx: Tx, logged: LoggedEvent) -> None:
        self._set(tx, logged, {"published": True})

    def _unpublished(self, tx: Tx, logged: LoggedEvent) -> None:
        self._set(tx, logged, {"published": False})

    def _deleted(self, tx: Tx, logged: LoggedEvent) -> None:
        tx.execute(f"DELETE FROM {self.table('courses')} WHERE course_uuid = ?", (oid(logged),))

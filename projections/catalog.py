"""Course catalog read model: one row per live course, with its org's numeric id and slug.

The projection keeps its own small org table (uuid → numeric id, slug) so it never reads
another projection's tables: each read model can be rebuilt on its own. It remembers the orgs'
numeric ids, so a batch of new courses is one bulk insert.
"""

from __future__ import annotations

from typing import Any

from domain.courses import Course
from domain.orgs import Org
from infrastructure.event_store import LoggedEvent
from infrastructure.read_store import ReadStore
from projections.engine.framework import Handler, Projection
from projections.engine.memo import Memo
from projections.engine.writes import Writes
from projections.identity import oid, ts

COURSE_COLUMNS = (
    "name", "description", "about", "learnings", "tags", "public", "published",
    "open_to_contributors", "thumbnail_image",
)


def created_course_row(
    course: Any, course_uuid: str, position: int, org_numeric_id: int, when: str
) -> dict[str, Any]:
    """The catalog row of a new course. ``course`` is its ``CourseCreated`` event or the new
    aggregate itself (same attribute names): the projection writes this row and the create
    command answers with it, so the two can never disagree."""
    return {
        "course_uuid": course_uuid, "id": position, "org_uuid": str(course.org_id),
        "org_id": org_numeric_id, "author_uuid": str(course.author_id), "name": course.name,
        "description": course.description, "about": course.about,
        "learnings": course.learnings, "tags": course.tags,
        "thumbnail_image": course.thumbnail_image, "public": int(course.public),
        "published": int(course.published), "open_to_contributors": 0,
        "creation_date": when, "update_date": when,
    }


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

    def __init__(self, store: ReadStore) -> None:
        super().__init__(store)
        self._org_ids: Memo[str, int] = Memo()  # uuid -> numeric id (a log fact)

    def resumed(self) -> None:
        self._org_ids.clear()

    def rolled_back(self) -> None:
        self._org_ids.clear()

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

    def _org_created(self, tx: Writes, logged: LoggedEvent) -> None:
        tx.insert(self.table("orgs"), {
            "org_uuid": oid(logged), "id": logged.position, "slug": logged.event.slug,  # type: ignore[attr-defined]
        })
        self._org_ids.put(oid(logged), logged.position)

    def _org_updated(self, tx: Writes, logged: LoggedEvent) -> None:
        slug = logged.event.changes.get("slug")  # type: ignore[attr-defined]
        if slug:
            tx.update(self.table("orgs"), {"org_uuid": oid(logged)}, {"slug": slug})

    def _org_deleted(self, tx: Writes, logged: LoggedEvent) -> None:
        tx.delete(self.table("orgs"), {"org_uuid": oid(logged)})
        tx.delete_where(self.table("courses"), {"org_uuid": oid(logged)})
        self._org_ids.forget(oid(logged))

    def _org_id(self, tx: Writes, org_uuid: str) -> int:
        known = self._org_ids.get(org_uuid)
        if known is None:
            row = tx.fetchone(f"SELECT id FROM {self.table('orgs')} WHERE org_uuid = ?", (org_uuid,))
            if row is None:
                return 0
            known = int(row["id"])
            self._org_ids.put(org_uuid, known)
        return known

    def _created(self, tx: Writes, logged: LoggedEvent) -> None:
        row = created_course_row(logged.event, oid(logged), logged.position, 0, ts(logged))
        row["org_id"] = self._org_id(tx, row["org_uuid"])
        tx.insert(self.table("courses"), row)

    def _set(self, tx: Writes, logged: LoggedEvent, values: dict[str, object]) -> None:
        values = {k: _sql_value(v) for k, v in values.items() if k in COURSE_COLUMNS}
        if not values:
            return
        tx.update(self.table("courses"), {"course_uuid": oid(logged)}, {**values, "update_date": ts(logged)})

    def _updated(self, tx: Writes, logged: LoggedEvent) -> None:
        self._set(tx, logged, logged.event.changes)  # type: ignore[attr-defined]

    def _published(self, tx: Writes, logged: LoggedEvent) -> None:
        self._set(tx, logged, {"published": True})

    def _unpublished(self, tx: Writes, logged: LoggedEvent) -> None:
        self._set(tx, logged, {"published": False})

    def _deleted(self, tx: Writes, logged: LoggedEvent) -> None:
        tx.delete(self.table("courses"), {"course_uuid": oid(logged)})

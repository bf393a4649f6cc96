"""Course catalog read model: one row per live course, with its org's numeric id and slug.

The projection keeps its own small org table (uuid → numeric id, slug) so it never reads
another projection's tables: each read model can be rebuilt on its own.
"""

from __future__ import annotations

from typing import Any

from domain.courses import Course
from domain.orgs import Org
from infrastructure.event_store import LoggedEvent
from infrastructure.read_store import Tx
from projections.engine.framework import Handler, Projection
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
        row = created_course_row(logged.event, oid(logged), logged.position, 0, ts(logged))
        row.pop("org_id")  # looked up in the same statement: one round trip
        marks = ", ".join("?" for _ in row)
        tx.execute(
            f"INSERT INTO {self.table('courses')} ({', '.join(row)}, org_id) VALUES ({marks},"
            f" COALESCE((SELECT id FROM {self.table('orgs')} WHERE org_uuid = ?), 0))",
            (*row.values(), row["org_uuid"]),
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

"""Course content read model: chapters and activities in course order.

Numeric ids are the log positions of the creation events (like courses). Order: a chapter or
activity sorts by ``position``; a reorder writes 0..n-1, and anything created later keeps its
creation position, which is larger, so it sorts last without needing an outline event.
The projection keeps its own small org/course tables (uuid → numeric id) so it rebuilds alone.
"""

from __future__ import annotations

from typing import Any

import msgspec

from domain.activities import Activity
from domain.chapters import Chapter
from domain.courses import Course
from domain.orgs import Org
from domain.outline import CourseOutline
from infrastructure.event_store import LoggedEvent
from infrastructure.read_store import Tx
from projections.engine.framework import Handler, Projection
from projections.identity import oid, ts

CHAPTER_COLUMNS = ("name", "description", "thumbnail_image")
ACTIVITY_COLUMNS = (
    "name", "activity_type", "activity_sub_type", "content", "details", "published", "lock_type",
)


def sql_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dict | list):
        return msgspec.json.encode(value).decode()
    return value


class ContentProjection(Projection):
    name = "content"
    version = 1
    tables = {
        "orgs": "org_uuid TEXT PRIMARY KEY, id BIGINT NOT NULL",
        "courses": "course_uuid TEXT PRIMARY KEY, id BIGINT NOT NULL, org_uuid TEXT NOT NULL",
        "chapters": (
            "chapter_uuid TEXT PRIMARY KEY, id BIGINT NOT NULL UNIQUE, org_uuid TEXT NOT NULL,"
            " org_id BIGINT NOT NULL, course_uuid TEXT NOT NULL, course_id BIGINT NOT NULL,"
            " name TEXT NOT NULL, description TEXT NOT NULL, thumbnail_image TEXT NOT NULL,"
            " position BIGINT NOT NULL, creation_date TEXT NOT NULL, update_date TEXT NOT NULL"
        ),
        "activities": (
            "activity_uuid TEXT PRIMARY KEY, id BIGINT NOT NULL UNIQUE, org_uuid TEXT NOT NULL,"
            " org_id BIGINT NOT NULL, course_uuid TEXT NOT NULL, course_id BIGINT NOT NULL,"
            " chapter_uuid TEXT NOT NULL, chapter_id BIGINT NOT NULL, name TEXT NOT NULL,"
            " activity_type TEXT NOT NULL, activity_sub_type TEXT NOT NULL, content TEXT NOT NULL,"
            " details TEXT NOT NULL, published INTEGER NOT NULL, lock_type TEXT NOT NULL,"
            " position BIGINT NOT NULL, version INTEGER NOT NULL, creation_date TEXT NOT NULL,"
            " update_date TEXT NOT NULL"
        ),
    }
    indexes = (
        "CREATE INDEX IF NOT EXISTS {chapters}_course ON {chapters} (course_uuid, position)",
        "CREATE INDEX IF NOT EXISTS {activities}_course ON {activities} (course_uuid, published)",
        "CREATE INDEX IF NOT EXISTS {activities}_chapter ON {activities} (chapter_uuid, position)",
    )

    def handlers(self) -> dict[type, Handler]:
        return {
            Org.OrgCreated: self._org_created,
            Org.OrgDeleted: self._org_deleted,
            Course.CourseCreated: self._course_created,
            Course.CourseDeleted: self._course_deleted,
            Chapter.ChapterCreated: self._chapter_created,
            Chapter.ChapterUpdated: self._chapter_updated,
            Chapter.ChapterDeleted: self._chapter_deleted,
            Activity.ActivityCreated: self._activity_created,
            Activity.ActivityUpdated: self._activity_updated,
            Activity.ActivityRestored: self._activity_restored,
            Activity.ActivityDeleted: self._activity_deleted,
            CourseOutline.CourseContentReordered: self._reordered,
        }

    def _org_created(self, tx: Tx, logged: LoggedEvent) -> None:
        tx.execute(
            f"INSERT INTO {self.table('orgs')} (org_uuid, id) VALUES (?, ?)",
            (oid(logged), logged.position),
        )

    def _org_deleted(self, tx: Tx, logged: LoggedEvent) -> None:
        for logical in ("orgs", "courses", "chapters", "activities"):
            tx.execute(f"DELETE FROM {self.table(logical)} WHERE org_uuid = ?", (oid(logged),))

    def _course_created(self, tx: Tx, logged: LoggedEvent) -> None:
        tx.execute(
            f"INSERT INTO {self.table('courses')} (course_uuid, id, org_uuid) VALUES (?, ?, ?)",
            (oid(logged), logged.position, str(logged.event.org_id)),  # type: ignore[attr-defined]
        )

    def _course_deleted(self, tx: Tx, logged: LoggedEvent) -> None:
        for logical in ("courses", "chapters", "activities"):
            tx.execute(f"DELETE FROM {self.table(logical)} WHERE course_uuid = ?", (oid(logged),))

    def _ids(self, tx: Tx, org_uuid: str, course_uuid: str) -> tuple[int, int]:
        org = tx.fetchone(f"SELECT id FROM {self.table('orgs')} WHERE org_uuid = ?", (org_uuid,))
        course = tx.fetchone(
            f"SELECT id FROM {self.table('courses')} WHERE course_uuid = ?", (course_uuid,)
        )
        return (int(org["id"]) if org else 0, int(course["id"]) if course else 0)

    def _chapter_created(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        org_id, course_id = self._ids(tx, str(e.org_id), str(e.course_id))
        tx.execute(
            f"INSERT INTO {self.table('chapters')} (chapter_uuid, id, org_uuid, org_id,"
            " course_uuid, course_id, name, description, thumbnail_image, position,"
            " creation_date, update_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                oid(logged), logged.position, str(e.org_id), org_id, str(e.course_id), course_id,
                e.name, e.description, e.thumbnail_image, logged.position, ts(logged), ts(logged),
            ),
        )

    def _set(self, tx: Tx, logical: str, logged: LoggedEvent, values: dict[str, Any],
             allowed: tuple[str, ...], extra: dict[str, Any] | None = None) -> None:
        values = {k: sql_value(v) for k, v in values.items() if k in allowed}
        values.update(extra or {})
        assigns = "".join(f"{k} = ?, " for k in values)
        key = "chapter_uuid" if logical == "chapters" else "activity_uuid"
        tx.execute(
            f"UPDATE {self.table(logical)} SET {assigns}update_date = ? WHERE {key} = ?",
            (*values.values(), ts(logged), oid(logged)),
        )

    def _chapter_updated(self, tx: Tx, logged: LoggedEvent) -> None:
        self._set(tx, "chapters", logged, logged.event.changes, CHAPTER_COLUMNS)  # type: ignore[attr-defined]

    def _chapter_deleted(self, tx: Tx, logged: LoggedEvent) -> None:
        tx.execute(f"DELETE FROM {self.table('chapters')} WHERE chapter_uuid = ?", (oid(logged),))
        tx.execute(f"DELETE FROM {self.table('activities')} WHERE chapter_uuid = ?", (oid(logged),))

    def _activity_created(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        org_id, course_id = self._ids(tx, str(e.org_id), str(e.course_id))
        chapter = tx.fetchone(
            f"SELECT id FROM {self.table('chapters')} WHERE chapter_uuid = ?", (str(e.chapter_id),)
        )
        tx.execute(
            f"INSERT INTO {self.table('activities')} (activity_uuid, id, org_uuid, org_id,"
            " course_uuid, course_id, chapter_uuid, chapter_id, name, activity_type,"
            " activity_sub_type, content, details, published, lock_type, position, version,"
            " creation_date, update_date)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                oid(logged), logged.position, str(e.org_id), org_id, str(e.course_id), course_id,
                str(e.chapter_id), int(chapter["id"]) if chapter else 0, e.name, e.activity_type,
                e.activity_sub_type, sql_value(e.content), sql_value(e.details), int(e.published),
                e.lock_type, logged.position, e.originator_version, ts(logged), ts(logged),
            ),
        )

    def _activity_updated(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        self._set(tx, "activities", logged, e.changes, ACTIVITY_COLUMNS, {"version": e.originator_version})

    def _activity_restored(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        self._set(tx, "activities", logged, e.state, ACTIVITY_COLUMNS, {"version": e.originator_version})

    def _activity_deleted(self, tx: Tx, logged: LoggedEvent) -> None:
        tx.execute(f"DELETE FROM {self.table('activities')} WHERE activity_uuid = ?", (oid(logged),))

    def _reordered(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        course = str(e.course_id)
        chapters, activities = self.table("chapters"), self.table("activities")
        for index, entry in enumerate(e.chapters):
            chapter_uuid = str(entry["chapter_id"])
            row = tx.fetchone(
                f"SELECT id FROM {chapters} WHERE chapter_uuid = ? AND course_uuid = ?",
                (chapter_uuid, course),
            )
            if row is None:  # deleted meanwhile: the rest of the order still applies
                continue
            tx.execute(f"UPDATE {chapters} SET position = ? WHERE chapter_uuid = ?", (index, chapter_uuid))
            for place, activity_uuid in enumerate(entry["activity_ids"]):
                tx.execute(
                    f"UPDATE {activities} SET position = ?, chapter_uuid = ?, chapter_id = ?"
                    " WHERE activity_uuid = ? AND course_uuid = ?",
                    (place, chapter_uuid, int(row["id"]), str(activity_uuid), course),
                )

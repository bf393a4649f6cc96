"""Course content read model: chapters and activities in course order.

Numeric ids are the log positions of the creation events (like courses). Order: a chapter or
activity sorts by ``position``; a reorder writes 0..n-1, and anything created later keeps its
creation position, which is larger, so it sorts last without needing an outline event.
The projection keeps its own small org/course tables (uuid → numeric id) so it rebuilds alone,
and remembers the ids it wrote (orgs, courses, chapters), so creating a chapter or an activity
reads nothing back: a batch of creations is one bulk insert per table.
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
from infrastructure.read_store import ReadStore
from infrastructure.uuid_text import uuid_text
from projections.engine.framework import Handler, Projection
from projections.engine.memo import Memo
from projections.engine.writes import Writes
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

    def __init__(self, store: ReadStore) -> None:
        super().__init__(store)
        # Numeric ids by uuid (log facts: the same after any rebuild); a chapter also names its
        # course. Forgotten with the rows they describe.
        self._org_ids: Memo[str, int] = Memo()
        self._course_ids: Memo[str, int] = Memo()
        self._chapters: Memo[str, tuple[int, str]] = Memo()

    def resumed(self) -> None:
        self._forget()

    def rolled_back(self) -> None:
        self._forget()

    def _forget(self) -> None:
        self._org_ids.clear()
        self._course_ids.clear()
        self._chapters.clear()

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

    def _org_created(self, tx: Writes, logged: LoggedEvent) -> None:
        tx.insert(self.table("orgs"), {"org_uuid": oid(logged), "id": logged.position})
        self._org_ids.put(oid(logged), logged.position)

    def _org_deleted(self, tx: Writes, logged: LoggedEvent) -> None:
        for logical in ("orgs", "courses", "chapters", "activities"):
            tx.delete_where(self.table(logical), {"org_uuid": oid(logged)})
        self._forget()

    def _course_created(self, tx: Writes, logged: LoggedEvent) -> None:
        tx.insert(self.table("courses"), {
            "course_uuid": oid(logged), "id": logged.position,
            "org_uuid": uuid_text(logged.event.org_id),  # type: ignore[attr-defined]
        })
        self._course_ids.put(oid(logged), logged.position)

    def _course_deleted(self, tx: Writes, logged: LoggedEvent) -> None:
        tx.delete(self.table("courses"), {"course_uuid": oid(logged)})
        for logical in ("chapters", "activities"):
            tx.delete_where(self.table(logical), {"course_uuid": oid(logged)})
        self._course_ids.forget(oid(logged))
        self._chapters.clear()

    def _id(self, tx: Writes, memo: Memo[str, int], logical: str, key: str, uuid: str) -> int:
        known = memo.get(uuid)
        if known is None:
            row = tx.fetchone(f"SELECT id FROM {self.table(logical)} WHERE {key} = ?", (uuid,))
            if row is None:
                return 0
            known = int(row["id"])
            memo.put(uuid, known)
        return known

    def _ids(self, tx: Writes, org_uuid: str, course_uuid: str) -> tuple[int, int]:
        return (
            self._id(tx, self._org_ids, "orgs", "org_uuid", org_uuid),
            self._id(tx, self._course_ids, "courses", "course_uuid", course_uuid),
        )

    def _chapter(self, tx: Writes, chapter_uuid: str) -> tuple[int, str] | None:
        known = self._chapters.get(chapter_uuid)
        if known is None:
            row = tx.fetchone(
                f"SELECT id, course_uuid FROM {self.table('chapters')} WHERE chapter_uuid = ?", (chapter_uuid,)
            )
            if row is None:
                return None
            known = (int(row["id"]), str(row["course_uuid"]))
            self._chapters.put(chapter_uuid, known)
        return known

    def _chapter_created(self, tx: Writes, logged: LoggedEvent) -> None:
        e: Any = logged.event
        uuid, org, course, when = oid(logged), uuid_text(e.org_id), uuid_text(e.course_id), ts(logged)
        org_id, course_id = self._ids(tx, org, course)
        tx.insert(self.table("chapters"), {
            "chapter_uuid": uuid, "id": logged.position, "org_uuid": org, "org_id": org_id,
            "course_uuid": course, "course_id": course_id, "name": e.name,
            "description": e.description, "thumbnail_image": e.thumbnail_image,
            "position": logged.position, "creation_date": when, "update_date": when,
        })
        self._chapters.put(uuid, (logged.position, course))

    def _set(self, tx: Writes, logical: str, logged: LoggedEvent, values: dict[str, Any],
             allowed: tuple[str, ...], extra: dict[str, Any] | None = None) -> None:
        values = {k: sql_value(v) for k, v in values.items() if k in allowed}
        values.update(extra or {})
        values["update_date"] = ts(logged)
        key = "chapter_uuid" if logical == "chapters" else "activity_uuid"
        tx.update(self.table(logical), {key: oid(logged)}, values)

    def _chapter_updated(self, tx: Writes, logged: LoggedEvent) -> None:
        self._set(tx, "chapters", logged, logged.event.changes, CHAPTER_COLUMNS)  # type: ignore[attr-defined]

    def _chapter_deleted(self, tx: Writes, logged: LoggedEvent) -> None:
        tx.delete(self.table("chapters"), {"chapter_uuid": oid(logged)})
        tx.delete_where(self.table("activities"), {"chapter_uuid": oid(logged)})
        self._chapters.forget(oid(logged))

    def _activity_created(self, tx: Writes, logged: LoggedEvent) -> None:
        e: Any = logged.event
        org, course, chapter_uuid, when = uuid_text(e.org_id), uuid_text(e.course_id), uuid_text(e.chapter_id), ts(logged)
        org_id, course_id = self._ids(tx, org, course)
        chapter = self._chapter(tx, chapter_uuid)
        tx.insert(self.table("activities"), {
            "activity_uuid": oid(logged), "id": logged.position, "org_uuid": org,
            "org_id": org_id, "course_uuid": course, "course_id": course_id,
            "chapter_uuid": chapter_uuid, "chapter_id": chapter[0] if chapter else 0,
            "name": e.name, "activity_type": e.activity_type,
            "activity_sub_type": e.activity_sub_type, "content": sql_value(e.content),
            "details": sql_value(e.details), "published": int(e.published),
            "lock_type": e.lock_type, "position": logged.position,
            "version": e.originator_version, "creation_date": when, "update_date": when,
        })

    def _activity_updated(self, tx: Writes, logged: LoggedEvent) -> None:
        e: Any = logged.event
        self._set(tx, "activities", logged, e.changes, ACTIVITY_COLUMNS, {"version": e.originator_version})

    def _activity_restored(self, tx: Writes, logged: LoggedEvent) -> None:
        e: Any = logged.event
        self._set(tx, "activities", logged, e.state, ACTIVITY_COLUMNS, {"version": e.originator_version})

    def _activity_deleted(self, tx: Writes, logged: LoggedEvent) -> None:
        tx.delete(self.table("activities"), {"activity_uuid": oid(logged)})

    def _reordered(self, tx: Writes, logged: LoggedEvent) -> None:
        e: Any = logged.event
        course = uuid_text(e.course_id)
        chapters, activities = self.table("chapters"), self.table("activities")
        for index, entry in enumerate(e.chapters):
            chapter_uuid = str(entry["chapter_id"])
            chapter = self._chapter(tx, chapter_uuid)
            if chapter is None or chapter[1] != course:  # deleted meanwhile: the rest still applies
                continue
            tx.update(chapters, {"chapter_uuid": chapter_uuid}, {"position": index})
            for place, activity_uuid in enumerate(entry["activity_ids"]):
                tx.update_where(
                    activities, {"activity_uuid": str(activity_uuid), "course_uuid": course},
                    {"position": place, "chapter_uuid": chapter_uuid, "chapter_id": chapter[0]},
                )

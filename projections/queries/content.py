"""Queries over the content read model (chapters and activities in course order)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from application.content_views import ActivityView, ChapterView
from domain.ids import ref_lookup
from infrastructure.read_store import Row
from projections.content import ContentProjection
from projections.engine.read_cache import ReadCache

CONTENT = ("content",)


def _ref(ref: str, prefix: str) -> tuple[str, object]:
    column, value = ref_lookup(ref, prefix)
    return ("id", value) if column == "id" else (f"{prefix}_uuid", value)


def activity_view(r: Row) -> ActivityView:
    return ActivityView(
        id=int(r["id"]),
        org_id=int(r["org_id"]),
        course_id=int(r["course_id"]),
        chapter_id=int(r["chapter_id"]),
        activity_uuid=f"activity_{r['activity_uuid']}",
        course_uuid=f"course_{r['course_uuid']}",
        chapter_uuid=f"chapter_{r['chapter_uuid']}",
        name=r["name"],
        activity_type=r["activity_type"],
        activity_sub_type=r["activity_sub_type"],
        content=json.loads(r["content"]),
        details=json.loads(r["details"]),
        published=bool(r["published"]),
        lock_type=r["lock_type"],
        version=int(r["version"]),
        creation_date=r["creation_date"],
        update_date=r["update_date"],
    )


def chapter_view(r: Row, activities: Sequence[ActivityView] = ()) -> ChapterView:
    return ChapterView(
        id=int(r["id"]),
        org_id=int(r["org_id"]),
        course_id=int(r["course_id"]),
        chapter_uuid=f"chapter_{r['chapter_uuid']}",
        course_uuid=f"course_{r['course_uuid']}",
        name=r["name"],
        description=r["description"],
        thumbnail_image=r["thumbnail_image"],
        creation_date=r["creation_date"],
        update_date=r["update_date"],
        activities=list(activities),
    )


class ContentQueries:
    def __init__(self, projection: ContentProjection, cache: ReadCache | None = None) -> None:
        self._db = projection.store
        self._cache = cache or ReadCache(None)
        self.chapters = projection.table("chapters")
        self.activities = projection.table("activities")

    def chapter_row(self, ref: str) -> Row | None:
        """A chapter by numeric id, ``chapter_<uuid>`` or bare uuid."""
        column, value = _ref(ref, "chapter")
        return self._row(f"SELECT * FROM {self.chapters} WHERE {column} = ?", (value,))

    def activity_row(self, ref: str) -> Row | None:
        column, value = _ref(ref, "activity")
        return self._row(f"SELECT * FROM {self.activities} WHERE {column} = ?", (value,))

    def _row(self, sql: str, params: tuple[object, ...]) -> Row | None:
        """Remembered while the content read model does not change (a copy each time)."""
        row = self._cache.get((sql, params), CONTENT, lambda: self._db.fetchone(sql, params))
        return None if row is None else dict(row)

    def chapter_rows(self, course_uuid: str, page: int = 1, limit: int = 10_000) -> list[Row]:
        return self._db.fetchall(
            f"SELECT * FROM {self.chapters} WHERE course_uuid = ? ORDER BY position, id"
            " LIMIT ? OFFSET ?",
            (course_uuid, limit, (page - 1) * limit),
        )

    def activity_rows(self, course_uuid: str, published_only: bool) -> list[Row]:
        where = " AND published = 1" if published_only else ""
        return self._db.fetchall(
            f"SELECT * FROM {self.activities} WHERE course_uuid = ?{where} ORDER BY position, id",
            (course_uuid,),
        )

    def chapter_activity_rows(
        self, chapter_uuid: str, published_only: bool, page: int = 1, limit: int = 10_000
    ) -> list[Row]:
        where = " AND published = 1" if published_only else ""
        return self._db.fetchall(
            f"SELECT * FROM {self.activities} WHERE chapter_uuid = ?{where}"
            " ORDER BY position, id LIMIT ? OFFSET ?",
            (chapter_uuid, limit, (page - 1) * limit),
        )

    def outline(self, course_uuid: str, published_only: bool) -> list[ChapterView]:
        """The course's chapters in order, each with its activities in order."""
        by_chapter: dict[str, list[ActivityView]] = {}
        for r in self.activity_rows(course_uuid, published_only):
            by_chapter.setdefault(r["chapter_uuid"], []).append(activity_view(r))
        return [
            chapter_view(c, by_chapter.get(c["chapter_uuid"], ()))
            for c in self.chapter_rows(course_uuid)
        ]

    def required_activities(self, course_uuid: str) -> set[str]:
        """What completing the course takes: its published activities (bare uuids)."""
        def load() -> frozenset[str]:
            rows = self._db.fetchall(
                f"SELECT activity_uuid FROM {self.activities} WHERE course_uuid = ? AND published = 1",
                (course_uuid,),
            )
            return frozenset(r["activity_uuid"] for r in rows)

        return set(self._cache.get(("required", course_uuid), CONTENT, load))

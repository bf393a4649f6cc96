"""Queries over progress, joined with the content read model for the current activity set."""

from __future__ import annotations

from collections.abc import Sequence

from infrastructure.read_store import Row
from projections.content import ContentProjection
from projections.engine.read_cache import ReadCache
from projections.progress import ProgressProjection


def _marks(items: Sequence[object]) -> str:
    return ", ".join("?" for _ in items)


class ProgressQueries:
    def __init__(
        self, progress: ProgressProjection, content: ContentProjection, cache: ReadCache | None = None
    ) -> None:
        self._db = progress.store
        self._cache = cache or ReadCache(None)
        self.enrollments = progress.table("enrollments")
        self.steps = progress.table("steps")
        self.trails = progress.table("trails")
        self.activities = content.table("activities")

    def enrollment(self, enrollment_id: str) -> Row | None:
        return self._db.fetchone(
            f"SELECT * FROM {self.enrollments} WHERE enrollment_id = ? AND active = 1",
            (enrollment_id,),
        )

    def trail(self, user_uuid: str, org_uuid: str | None) -> Row | None:
        if org_uuid is None:
            return self._db.fetchone(
                f"SELECT * FROM {self.trails} WHERE user_uuid = ? ORDER BY id LIMIT 1", (user_uuid,)
            )
        return self._db.fetchone(
            f"SELECT * FROM {self.trails} WHERE user_uuid = ? AND org_uuid = ?", (user_uuid, org_uuid)
        )

    def runs(self, user_uuid: str, org_uuid: str | None, page: int, limit: int) -> list[Row]:
        where, params = ("", ()) if org_uuid is None else (" AND org_uuid = ?", (org_uuid,))
        return self._db.fetchall(
            f"SELECT * FROM {self.enrollments} WHERE user_uuid = ? AND active = 1{where}"
            " ORDER BY id LIMIT ? OFFSET ?",
            (user_uuid, *params, limit, (page - 1) * limit),
        )

    def totals(self, course_uuids: Sequence[str]) -> dict[str, int]:
        """Published activities per course (what 100 % means today)."""
        if not course_uuids:
            return {}
        key = tuple(sorted(set(course_uuids)))

        def load() -> dict[str, int]:  # the content read model's rows only: cached on it
            rows = self._db.fetchall(
                f"SELECT course_uuid, COUNT(*) AS n FROM {self.activities}"
                f" WHERE published = 1 AND course_uuid IN ({_marks(key)}) GROUP BY course_uuid",
                key,
            )
            return {r["course_uuid"]: int(r["n"]) for r in rows}

        return dict(self._cache.get(("totals", key), ("content",), load))

    def step_rows(self, enrollment_ids: Sequence[str]) -> list[Row]:
        """Completed steps that still count (the activity exists and is published)."""
        if not enrollment_ids:
            return []
        return self._db.fetchall(
            f"SELECT s.*, a.id AS activity_id FROM {self.steps} s"
            f" JOIN {self.activities} a ON a.activity_uuid = s.activity_uuid AND a.published = 1"
            f" WHERE s.enrollment_id IN ({_marks(enrollment_ids)}) ORDER BY s.id",
            tuple(enrollment_ids),
        )

    def done_counts(self, enrollment_ids: Sequence[str]) -> dict[str, int]:
        if not enrollment_ids:
            return {}
        rows = self._db.fetchall(
            f"SELECT s.enrollment_id, COUNT(*) AS n FROM {self.steps} s"
            f" JOIN {self.activities} a ON a.activity_uuid = s.activity_uuid AND a.published = 1"
            f" WHERE s.enrollment_id IN ({_marks(enrollment_ids)}) GROUP BY s.enrollment_id",
            tuple(enrollment_ids),
        )
        return {r["enrollment_id"]: int(r["n"]) for r in rows}

    def of_course(self, course_uuid: str, page: int, limit: int) -> tuple[list[Row], int]:
        total = self._db.fetchone(
            f"SELECT COUNT(*) AS n FROM {self.enrollments} WHERE course_uuid = ? AND active = 1",
            (course_uuid,),
        )
        rows = self._db.fetchall(
            f"SELECT * FROM {self.enrollments} WHERE course_uuid = ? AND active = 1"
            " ORDER BY id LIMIT ? OFFSET ?",
            (course_uuid, limit, (page - 1) * limit),
        )
        return rows, int(total["n"]) if total else 0

"""Queries over course analytics: a cohort's funnel and a daily series."""

from __future__ import annotations

from dataclasses import dataclass

from projections.course_analytics import CourseAnalyticsProjection

DAY_SECONDS = 86_400.0


@dataclass(frozen=True)
class Funnel:
    enrolled: int
    started: int
    completed: int
    #: days from enrollment to completion of each completed run, in order
    days_to_complete: list[float]


class CourseAnalyticsQueries:
    def __init__(self, projection: CourseAnalyticsProjection) -> None:
        self._p = projection
        self._store = projection.store

    def funnel(self, course_uuid: str, first_day: str, last_day: str) -> Funnel:
        """The runs that began between the two days (inclusive): how far they got."""
        runs = self._p.table("runs")
        counts = self._store.fetchone(
            f"SELECT count(*) AS enrolled, count(started_at) AS started,"
            f" count(completed_at) AS completed FROM {runs}"
            " WHERE course_uuid = ? AND enrolled_day >= ? AND enrolled_day <= ?",
            (course_uuid, first_day, last_day),
        ) or {}
        spans = self._store.fetchall(
            f"SELECT completed_epoch - enrolled_epoch AS seconds FROM {runs}"
            " WHERE course_uuid = ? AND enrolled_day >= ? AND enrolled_day <= ?"
            " AND completed_epoch IS NOT NULL",
            (course_uuid, first_day, last_day),
        )
        # Never below zero: two processes' clocks may disagree by a little.
        days = sorted(max(0.0, float(r["seconds"])) / DAY_SECONDS for r in spans)
        return Funnel(
            int(counts.get("enrolled") or 0), int(counts.get("started") or 0),
            int(counts.get("completed") or 0), days,
        )

    def daily(self, course_uuid: str, first_day: str, last_day: str) -> dict[str, tuple[int, int, int]]:
        """day -> (runs begun, runs started, runs completed) on days with any."""
        rows = self._store.fetchall(
            f"SELECT day, enrolled, started, completed FROM {self._p.table('daily')}"
            " WHERE course_uuid = ? AND day >= ? AND day <= ?",
            (course_uuid, first_day, last_day),
        )
        return {
            str(r["day"]): (int(r["enrolled"]), int(r["started"]), int(r["completed"]))
            for r in rows
        }

"""Course analytics: enrollment runs and a daily series per course, for the funnel an
instructor asks about (enrolled -> started -> completed, and how long completion takes).

A run is one enrollment from its (re-)enrollment on: it *started* with its first completed
activity and *completed* with ``EnrollmentCompleted``. Re-enrolling starts a new run, as the
progress read model does. ``daily`` counts, per course and UTC day, the runs that began, started
and completed that day; each statement adds to it without reading first.
"""

from __future__ import annotations

from typing import Any

from domain.enrollments import Enrollment
from infrastructure.event_store import LoggedEvent
from infrastructure.read_store import Tx
from infrastructure.uuid_text import uuid_text
from projections.engine.framework import Handler, Projection


def _moment(logged: LoggedEvent) -> tuple[str, str, float]:
    """(ISO time, UTC day, epoch seconds) of an event."""
    stamp: Any = logged.event.timestamp  # type: ignore[attr-defined]
    text = stamp.isoformat()
    return text, text[:10], stamp.timestamp()


class CourseAnalyticsProjection(Projection):
    name = "course_analytics"
    version = 1
    tables = {
        "runs": (
            "run_id TEXT PRIMARY KEY, enrollment_id TEXT NOT NULL, org_uuid TEXT NOT NULL,"
            " course_uuid TEXT NOT NULL, enrolled_day TEXT NOT NULL, enrolled_epoch REAL NOT NULL,"
            " started_at TEXT, completed_at TEXT, completed_epoch REAL"
        ),
        "current": "enrollment_id TEXT PRIMARY KEY, run_id TEXT NOT NULL",
        "daily": (
            "course_uuid TEXT NOT NULL, day TEXT NOT NULL, org_uuid TEXT NOT NULL,"
            " enrolled INTEGER NOT NULL, started INTEGER NOT NULL, completed INTEGER NOT NULL,"
            " PRIMARY KEY (course_uuid, day)"
        ),
    }
    indexes = ("CREATE INDEX IF NOT EXISTS {runs}_course ON {runs} (course_uuid, enrolled_day)",)

    def handlers(self) -> dict[type, Handler]:
        return {
            Enrollment.CourseEnrolled: self._enrolled,
            Enrollment.CourseReenrolled: self._reenrolled,
            Enrollment.ActivityCompleted: self._activity_completed,
            Enrollment.EnrollmentCompleted: self._completed,
        }

    def _count(self, column: str) -> str:
        """Adds the selected run's course/day to ``daily`` (``column`` + 1): the SELECT names
        the run, so nothing is read back between statements."""
        daily = self.table("daily")
        values = {"enrolled": "0", "started": "0", "completed": "0", column: "1"}
        return (
            f"INSERT INTO {daily} (course_uuid, day, org_uuid, enrolled, started, completed)"
            f" SELECT r.course_uuid, ?, r.org_uuid, {values['enrolled']}, {values['started']},"
            f" {values['completed']} FROM {self.table('runs')} r"
            f" JOIN {self.table('current')} c ON c.run_id = r.run_id"
            f" WHERE c.enrollment_id = ? AND r.{column}_at IS NULL"
            f" ON CONFLICT (course_uuid, day) DO UPDATE SET {column} = {daily}.{column} + 1"
        )

    def _begin_run(self, tx: Tx, logged: LoggedEvent, org: str, course: str) -> None:
        enrollment = uuid_text(logged.event.originator_id)
        run = f"{enrollment}:{logged.event.originator_version}"  # type: ignore[attr-defined]
        _, day, epoch = _moment(logged)
        tx.execute(
            f"INSERT INTO {self.table('runs')} (run_id, enrollment_id, org_uuid, course_uuid,"
            " enrolled_day, enrolled_epoch, started_at, completed_at, completed_epoch)"
            " VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, NULL)",
            (run, enrollment, org, course, day, epoch),
        )
        tx.execute(
            f"INSERT INTO {self.table('current')} (enrollment_id, run_id) VALUES (?, ?)"
            " ON CONFLICT (enrollment_id) DO UPDATE SET run_id = excluded.run_id",
            (enrollment, run),
        )
        daily = self.table("daily")
        tx.execute(
            f"INSERT INTO {daily} (course_uuid, day, org_uuid, enrolled, started, completed)"
            " VALUES (?, ?, ?, 1, 0, 0)"
            f" ON CONFLICT (course_uuid, day) DO UPDATE SET enrolled = {daily}.enrolled + 1",
            (course, day, org),
        )

    def _enrolled(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        self._begin_run(tx, logged, uuid_text(e.org_id), uuid_text(e.course_id))

    def _reenrolled(self, tx: Tx, logged: LoggedEvent) -> None:
        row = tx.fetchone(
            f"SELECT r.org_uuid, r.course_uuid FROM {self.table('runs')} r"
            f" JOIN {self.table('current')} c ON c.run_id = r.run_id WHERE c.enrollment_id = ?",
            (uuid_text(logged.event.originator_id),),
        )
        if row is not None:
            self._begin_run(tx, logged, str(row["org_uuid"]), str(row["course_uuid"]))

    def _activity_completed(self, tx: Tx, logged: LoggedEvent) -> None:
        text, day, _ = _moment(logged)
        enrollment = uuid_text(logged.event.originator_id)
        tx.execute(self._count("started"), (day, enrollment))
        tx.execute(
            f"UPDATE {self.table('runs')} SET started_at = ? WHERE started_at IS NULL AND run_id ="
            f" (SELECT run_id FROM {self.table('current')} WHERE enrollment_id = ?)",
            (text, enrollment),
        )

    def _completed(self, tx: Tx, logged: LoggedEvent) -> None:
        text, day, epoch = _moment(logged)
        enrollment = uuid_text(logged.event.originator_id)
        tx.execute(self._count("completed"), (day, enrollment))
        tx.execute(
            f"UPDATE {self.table('runs')} SET completed_at = ?, completed_epoch = ?"
            " WHERE completed_at IS NULL AND run_id ="
            f" (SELECT run_id FROM {self.table('current')} WHERE enrollment_id = ?)",
            (text, epoch, enrollment),
        )

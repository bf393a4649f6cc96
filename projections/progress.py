"""Learner progress read model (LearnHouse "trails"): enrollments (runs) and completed steps.

Progress % is not stored: it is computed at query time against the course's *current*
published activities (content read model), so adding or removing activities is reflected at
once and a rebuild of either read model needs nothing from the other.
"""

from __future__ import annotations

from typing import Any

from domain.courses import Course
from domain.enrollments import Enrollment
from infrastructure.event_store import LoggedEvent
from infrastructure.read_store import Tx
from projections.engine.framework import Handler, Projection
from projections.identity import oid, ts

IN_PROGRESS = "STATUS_IN_PROGRESS"
COMPLETED = "STATUS_COMPLETED"


class ProgressProjection(Projection):
    name = "progress"
    version = 1
    tables = {
        "enrollments": (
            "enrollment_id TEXT PRIMARY KEY, id BIGINT NOT NULL UNIQUE, org_uuid TEXT NOT NULL,"
            " user_uuid TEXT NOT NULL, course_uuid TEXT NOT NULL, active INTEGER NOT NULL,"
            " status TEXT NOT NULL, started_at TEXT NOT NULL, completed_at TEXT,"
            " update_date TEXT NOT NULL"
        ),
        "steps": (
            "enrollment_id TEXT NOT NULL, activity_uuid TEXT NOT NULL, id BIGINT NOT NULL,"
            " completed_at TEXT NOT NULL, PRIMARY KEY (enrollment_id, activity_uuid)"
        ),
        "trails": (
            "org_uuid TEXT NOT NULL, user_uuid TEXT NOT NULL, id BIGINT NOT NULL,"
            " creation_date TEXT NOT NULL, update_date TEXT NOT NULL, PRIMARY KEY (org_uuid, user_uuid)"
        ),
    }
    indexes = (
        "CREATE INDEX IF NOT EXISTS {enrollments}_user ON {enrollments} (user_uuid, org_uuid, id)",
        "CREATE INDEX IF NOT EXISTS {enrollments}_course ON {enrollments} (course_uuid, id)",
    )

    def handlers(self) -> dict[type, Handler]:
        return {
            Enrollment.CourseEnrolled: self._enrolled,
            Enrollment.CourseReenrolled: self._reenrolled,
            Enrollment.CourseUnenrolled: self._unenrolled,
            Enrollment.ActivityCompleted: self._completed_step,
            Enrollment.ActivityUncompleted: self._uncompleted_step,
            Enrollment.EnrollmentCompleted: self._completed,
            Course.CourseDeleted: self._course_deleted,
        }

    def _touch(self, tx: Tx, logged: LoggedEvent, assigns: str = "", params: tuple[Any, ...] = ()) -> None:
        enrollments = self.table("enrollments")
        tx.execute(
            f"UPDATE {enrollments} SET {assigns}update_date = ? WHERE enrollment_id = ?",
            (*params, ts(logged), oid(logged)),
        )
        # The trail found in the same statement: no read between writes (pipelines stay full).
        tx.execute(
            f"UPDATE {self.table('trails')} SET update_date = ? WHERE (org_uuid, user_uuid) ="
            f" (SELECT org_uuid, user_uuid FROM {enrollments} WHERE enrollment_id = ?)",
            (ts(logged), oid(logged)),
        )

    def _enrolled(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        org, user = str(e.org_id), str(e.user_id)
        tx.execute(
            f"INSERT INTO {self.table('enrollments')} (enrollment_id, id, org_uuid, user_uuid,"
            " course_uuid, active, status, started_at, completed_at, update_date)"
            " VALUES (?, ?, ?, ?, ?, 1, ?, ?, NULL, ?)",
            (oid(logged), logged.position, org, user, str(e.course_id), IN_PROGRESS, ts(logged), ts(logged)),
        )
        tx.execute(
            f"INSERT INTO {self.table('trails')} (org_uuid, user_uuid, id, creation_date, update_date)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (org_uuid, user_uuid) DO NOTHING",
            (org, user, logged.position, ts(logged), ts(logged)),
        )
        self._touch(tx, logged)

    def _clear_steps(self, tx: Tx, logged: LoggedEvent) -> None:
        tx.execute(f"DELETE FROM {self.table('steps')} WHERE enrollment_id = ?", (oid(logged),))

    def _reenrolled(self, tx: Tx, logged: LoggedEvent) -> None:
        self._clear_steps(tx, logged)
        self._touch(
            tx, logged, "active = 1, status = ?, started_at = ?, completed_at = NULL, ",
            (IN_PROGRESS, ts(logged)),
        )

    def _unenrolled(self, tx: Tx, logged: LoggedEvent) -> None:
        self._clear_steps(tx, logged)
        self._touch(tx, logged, "active = 0, ")

    def _completed_step(self, tx: Tx, logged: LoggedEvent) -> None:
        tx.execute(
            f"INSERT INTO {self.table('steps')} (enrollment_id, activity_uuid, id, completed_at)"
            " VALUES (?, ?, ?, ?)",
            (oid(logged), str(logged.event.activity_id), logged.position, ts(logged)),  # type: ignore[attr-defined]
        )
        self._touch(tx, logged)

    def _uncompleted_step(self, tx: Tx, logged: LoggedEvent) -> None:
        tx.execute(
            f"DELETE FROM {self.table('steps')} WHERE enrollment_id = ? AND activity_uuid = ?",
            (oid(logged), str(logged.event.activity_id)),  # type: ignore[attr-defined]
        )
        self._touch(tx, logged)

    def _completed(self, tx: Tx, logged: LoggedEvent) -> None:
        self._touch(tx, logged, "status = ?, completed_at = ?, ", (COMPLETED, ts(logged)))

    def _course_deleted(self, tx: Tx, logged: LoggedEvent) -> None:
        enrollments = self.table("enrollments")
        tx.execute(
            f"DELETE FROM {self.table('steps')} WHERE enrollment_id IN"
            f" (SELECT enrollment_id FROM {enrollments} WHERE course_uuid = ?)",
            (oid(logged),),
        )
        tx.execute(f"DELETE FROM {enrollments} WHERE course_uuid = ?", (oid(logged),))

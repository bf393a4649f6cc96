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
from infrastructure.read_store import ReadStore
from infrastructure.uuid_text import uuid_text
from projections.engine.framework import Handler, Projection
from projections.engine.memo import Memo
from projections.engine.writes import Writes
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

    def __init__(self, store: ReadStore) -> None:
        super().__init__(store)
        # enrollment id -> (org, user): which trail an enrollment's events touch (log facts)
        self._owners: Memo[str, tuple[str, str]] = Memo()

    def resumed(self) -> None:
        self._owners.clear()

    def rolled_back(self) -> None:
        self._owners.clear()

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

    def _owner(self, tx: Writes, enrollment_id: str) -> tuple[str, str] | None:
        known = self._owners.get(enrollment_id)
        if known is None:
            row = tx.fetchone(
                f"SELECT org_uuid, user_uuid FROM {self.table('enrollments')} WHERE enrollment_id = ?",
                (enrollment_id,),
            )
            if row is None:
                return None
            known = (str(row["org_uuid"]), str(row["user_uuid"]))
            self._owners.put(enrollment_id, known)
        return known

    def _touch(self, tx: Writes, logged: LoggedEvent, values: dict[str, Any] | None = None) -> None:
        when = ts(logged)
        tx.update(self.table("enrollments"), {"enrollment_id": oid(logged)}, {**(values or {}), "update_date": when})
        owner = self._owner(tx, oid(logged))
        if owner is not None:
            tx.update(self.table("trails"), {"org_uuid": owner[0], "user_uuid": owner[1]}, {"update_date": when})

    def _enrolled(self, tx: Writes, logged: LoggedEvent) -> None:
        e: Any = logged.event
        org, user, when = uuid_text(e.org_id), uuid_text(e.user_id), ts(logged)
        tx.insert(self.table("enrollments"), {
            "enrollment_id": oid(logged), "id": logged.position, "org_uuid": org, "user_uuid": user,
            "course_uuid": uuid_text(e.course_id), "active": 1, "status": IN_PROGRESS, "started_at": when,
            "completed_at": None, "update_date": when,
        })
        self._owners.put(oid(logged), (org, user))
        tx.upsert(self.table("trails"), {
            "org_uuid": org, "user_uuid": user, "id": logged.position, "creation_date": when, "update_date": when,
        })
        self._touch(tx, logged)

    def _clear_steps(self, tx: Writes, logged: LoggedEvent) -> None:
        tx.delete_where(self.table("steps"), {"enrollment_id": oid(logged)})

    def _reenrolled(self, tx: Writes, logged: LoggedEvent) -> None:
        self._clear_steps(tx, logged)
        self._touch(tx, logged, {"active": 1, "status": IN_PROGRESS, "started_at": ts(logged), "completed_at": None})

    def _unenrolled(self, tx: Writes, logged: LoggedEvent) -> None:
        self._clear_steps(tx, logged)
        self._touch(tx, logged, {"active": 0})

    def _completed_step(self, tx: Writes, logged: LoggedEvent) -> None:
        tx.insert(self.table("steps"), {
            "enrollment_id": oid(logged), "activity_uuid": uuid_text(logged.event.activity_id),  # type: ignore[attr-defined]
            "id": logged.position, "completed_at": ts(logged),
        })
        self._touch(tx, logged)

    def _uncompleted_step(self, tx: Writes, logged: LoggedEvent) -> None:
        tx.delete(self.table("steps"), {
            "enrollment_id": oid(logged), "activity_uuid": uuid_text(logged.event.activity_id),  # type: ignore[attr-defined]
        })
        self._touch(tx, logged)

    def _completed(self, tx: Writes, logged: LoggedEvent) -> None:
        self._touch(tx, logged, {"status": COMPLETED, "completed_at": ts(logged)})

    def _course_deleted(self, tx: Writes, logged: LoggedEvent) -> None:
        enrollments = self.table("enrollments")
        tx.execute(
            f"DELETE FROM {self.table('steps')} WHERE enrollment_id IN"
            f" (SELECT enrollment_id FROM {enrollments} WHERE course_uuid = ?)",
            (oid(logged),),
        )
        tx.delete_where(enrollments, {"course_uuid": oid(logged)})
        self._owners.clear()

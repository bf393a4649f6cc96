"""How long learners take to complete a course: the median time from enrollment to completion,
per course, answered from the whole log by a projection of one's own.

    learnstream replay --projection examples.completion_times:CompletionTimes --into times.sqlite3
    python -m examples.completion_times times.sqlite3

A *run* is one enrollment from its (re-)enrollment on; it completes with the enrollment's
``EnrollmentCompleted``. A learner who re-enrolls starts a new run, so a second pass through a
course is timed from the re-enrollment, not from the first day. Runs not completed yet have no
time and do not count towards the median.

The handlers write SQL only (no state kept in Python between events): a replay stopped half-way
resumes from the last batch it saved, and the tables hold everything it needs.
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
from pathlib import Path
from typing import Any

from domain.enrollments import Enrollment
from infrastructure.event_store import LoggedEvent
from projections.engine.framework import Handler, Projection
from projections.engine.writes import Writes

DAY = 86_400.0


class CompletionTimes(Projection):
    name = "completion_times"
    version = 1
    tables = {
        # one row per run; days stays NULL until the run completes
        "runs": (
            "run_id TEXT PRIMARY KEY, enrollment_id TEXT NOT NULL, course_uuid TEXT NOT NULL,"
            " enrolled_at REAL NOT NULL, days REAL"
        ),
        # each enrollment's run in progress
        "current": "enrollment_id TEXT PRIMARY KEY, run_id TEXT NOT NULL, course_uuid TEXT NOT NULL",
    }

    def handlers(self) -> dict[type, Handler]:
        return {
            Enrollment.CourseEnrolled: self._enrolled,
            Enrollment.CourseReenrolled: self._reenrolled,
            Enrollment.EnrollmentCompleted: self._completed,
        }

    def _enrolled(self, tx: Writes, logged: LoggedEvent) -> None:
        e: Any = logged.event
        enrollment, course = str(e.originator_id), str(e.course_id)
        run = f"{enrollment}:{e.originator_version}"
        tx.insert(self.table("runs"), {
            "run_id": run, "enrollment_id": enrollment, "course_uuid": course,
            "enrolled_at": e.timestamp.timestamp(), "days": None,
        })
        tx.upsert(
            self.table("current"), {"enrollment_id": enrollment, "run_id": run, "course_uuid": course},
            update=("run_id", "course_uuid"),
        )

    def _reenrolled(self, tx: Writes, logged: LoggedEvent) -> None:
        e: Any = logged.event
        enrollment = str(e.originator_id)
        run = f"{enrollment}:{e.originator_version}"
        # The event names no course: the enrollment's current run knows it.
        tx.execute(
            f"INSERT INTO {self.table('runs')} (run_id, enrollment_id, course_uuid, enrolled_at, days)"
            f" SELECT ?, enrollment_id, course_uuid, ?, NULL FROM {self.table('current')}"
            " WHERE enrollment_id = ?",
            (run, e.timestamp.timestamp(), enrollment),
        )
        tx.execute(
            f"UPDATE {self.table('current')} SET run_id = ? WHERE enrollment_id = ?", (run, enrollment)
        )

    def _completed(self, tx: Writes, logged: LoggedEvent) -> None:
        e: Any = logged.event
        tx.execute(
            f"UPDATE {self.table('runs')} SET days = (? - enrolled_at) / ?"
            f" WHERE days IS NULL AND run_id = (SELECT run_id FROM {self.table('current')}"
            " WHERE enrollment_id = ?)",
            (e.timestamp.timestamp(), DAY, str(e.originator_id)),
        )


def medians(path: Path | str) -> dict[str, tuple[float, int]]:
    """course uuid -> (median days from enrollment to completion, completed runs), from the
    SQLite file ``--into`` wrote (SQLite has no median aggregate: Python takes it)."""
    table = f"{CompletionTimes.name}_v{CompletionTimes.version}_runs"
    times: dict[str, list[float]] = {}
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        for course, days in db.execute(f"SELECT course_uuid, days FROM {table} WHERE days IS NOT NULL"):
            times.setdefault(course, []).append(days)
    return {course: (statistics.median(d), len(d)) for course, d in sorted(times.items())}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m examples.completion_times FILE.sqlite3", file=sys.stderr)
        return 2
    print(f"{'course':<36}  {'median days':>11}  {'completed':>9}")
    for course, (median, completed) in medians(argv[0]).items():
        print(f"{course:<36}  {median:>11.2f}  {completed:>9}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

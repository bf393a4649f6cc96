"""The documentation's worked example: ``examples.completion_times`` run by ``learnstream replay
--projection ... --into PATH`` over a real log answers the median time from enrollment to
completion per course (re-enrollments timed from the re-enrollment, unfinished runs left out)."""

from __future__ import annotations

import statistics
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.utils import get_topic

from domain.enrollments import Enrollment
from examples.completion_times import medians
from tests.e2e.server_process import clean_environ, run_cli

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = "examples.completion_times:CompletionTimes"
START = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)


class _Past:
    """Events that happened on chosen days, saved as an aggregate's pending events are."""

    def __init__(self, events: list[Any]) -> None:
        self._events = events

    def collect_events(self) -> list[Any]:
        return self._events


def enrollment(course: UUID, org: UUID, *steps: tuple[str, float]) -> _Past:
    """One learner's enrollment: ("enrolled" | "completed" | "reenrolled", day after START)."""
    uuid = uuid4()
    events: list[Any] = []
    for version, (what, day) in enumerate(steps, start=1):
        at = START + timedelta(days=day)
        if what == "enrolled":
            events.append(Enrollment.CourseEnrolled(
                originator_id=uuid, originator_version=version, timestamp=at,
                originator_topic=get_topic(Enrollment), org_id=org, user_id=uuid4(), course_id=course,
            ))
        elif what == "completed":
            events.append(Enrollment.EnrollmentCompleted(originator_id=uuid, originator_version=version, timestamp=at))
        else:
            events.append(Enrollment.CourseReenrolled(originator_id=uuid, originator_version=version, timestamp=at))
    return _Past(events)


@pytest.fixture
def history(container: Any) -> dict[str, list[float]]:
    """Two courses' enrollments over several weeks; the days each completed run took."""
    python, sql, org = uuid4(), uuid4(), uuid4()
    container.events.save(
        enrollment(python, org, ("enrolled", 0), ("completed", 2)),
        enrollment(python, org, ("enrolled", 1), ("completed", 5.5)),
        enrollment(python, org, ("enrolled", 3), ("completed", 13)),
        enrollment(python, org, ("enrolled", 4)),  # not finished: no time
        # finished in 6 days, came back on day 30 and finished again a day later
        enrollment(python, org, ("enrolled", 0), ("completed", 6), ("reenrolled", 30), ("completed", 31)),
    )
    container.events.save(
        enrollment(sql, org, ("enrolled", 2), ("completed", 3)),
        enrollment(sql, org, ("enrolled", 2), ("completed", 5.25)),
    )
    container.loop.stop()  # nothing follows the log in this process while the command works
    return {str(python): [2, 4.5, 10, 6, 1], str(sql): [1, 3.25]}


def rounded(found: dict[str, tuple[float, int]]) -> dict[str, tuple[float, int]]:
    return {course: (round(median, 9), n) for course, (median, n) in found.items()}


def test_the_worked_example_answers_median_days_to_complete_per_course(history, settings_env, tmp_path):
    path = tmp_path / "times.sqlite3"
    env = {**settings_env, "PYTHONPATH": str(ROOT)}

    done = run_cli(["replay", "--projection", EXAMPLE, "--into", str(path)], env)

    assert done.returncode == 0, done.stderr
    assert "rebuilding completion_times [" in done.stderr and "events/s" in done.stderr
    expected = {course: (statistics.median(days), len(days)) for course, days in history.items()}
    assert rounded(medians(path)) == expected

    shown = subprocess.run(
        [sys.executable, "-m", "examples.completion_times", str(path)],
        env=clean_environ(env), capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout
    python = next(course for course, days in history.items() if len(days) == 5)
    assert any(line.split() == [python, "4.50", "5"] for line in shown.splitlines()), shown

    again = run_cli(["replay", "--projection", EXAMPLE, "--into", str(path)], env)
    assert again.returncode == 0, again.stderr
    assert rounded(medians(path)) == expected

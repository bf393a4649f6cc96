"""Pure progress rules and the Enrollment aggregate's decisions."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.enrollments import Enrollment
from domain.errors import Conflict
from domain.progress import completion_requires_every_activity, progress_percent


def test_progress_percent_never_nan():
    assert progress_percent(0, 0) == 0.0
    assert progress_percent(1, 3) == 33.3
    assert progress_percent(5, 4) == 100.0


def test_completion_needs_at_least_one_activity():
    assert not completion_requires_every_activity(set(), set())
    assert not completion_requires_every_activity({"a", "b"}, {"a"})
    assert completion_requires_every_activity({"a"}, {"a", "gone"})


def _names(enrollment: Enrollment) -> list[str]:
    return [type(e).__name__ for e in enrollment.collect_events()]


def test_last_activity_completes_once_and_completion_is_final():
    a, b = uuid4(), uuid4()
    e = Enrollment(org_id=uuid4(), user_id=uuid4(), course_id=uuid4())
    e.complete_activity(a, {str(a), str(b)})
    e.complete_activity(b, {str(a), str(b)})
    e.complete_activity(b, {str(a), str(b)})
    e.uncomplete_activity(a)
    e.complete_activity(a, {str(a), str(b), "new"})
    assert _names(e) == [
        "CourseEnrolled", "ActivityCompleted", "ActivityCompleted", "EnrollmentCompleted",
        "ActivityUncompleted", "ActivityCompleted",
    ]


def test_enroll_twice_is_a_no_op_and_unenrolled_cannot_complete():
    e = Enrollment(org_id=uuid4(), user_id=uuid4(), course_id=uuid4())
    e.enroll()
    e.unenroll()
    with pytest.raises(Conflict):
        e.complete_activity(uuid4(), set())
    e.enroll()
    assert _names(e) == ["CourseEnrolled", "CourseUnenrolled", "CourseReenrolled"]

"""A learner's enrollment in one course (LearnHouse's "trail run"), with the activities done.

One aggregate per (user, course) with a deterministic id: two concurrent completions of the same
learner load the same aggregate, one of them hits a version conflict and is retried on the new
state, so ``EnrollmentCompleted`` is appended exactly once.

Decisions (documented in the issue notes and tested):
- Enrolling twice is idempotent (no event). Unenrolling and enrolling again starts a fresh run.
- Completing an activity of a course one is not enrolled in enrolls first (as LearnHouse's
  ``add_activity`` does); the application appends ``CourseEnrolled`` and ``ActivityCompleted``
  in one save.
- ``EnrollmentCompleted`` is a fact about the past: activities added (or un-done) later do not
  retract it; progress % is still computed over the course's current activities, so it may drop
  below 100 % while the status stays completed.
"""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import Conflict
from domain.progress import completion_requires_every_activity

_ENROLLMENTS = UUID("a8f8b7c2-64d1-4b7e-9a35-2f0c3e6d9b51")


def enrollment_id(user_id: UUID, course_id: UUID) -> UUID:
    return uuid5(_ENROLLMENTS, f"{user_id}:{course_id}")


def trail_id(user_id: UUID, org_id: UUID | None) -> UUID:
    """A learner's trail in one org (``None``: across every org) — a view, not an aggregate."""
    return uuid5(_ENROLLMENTS, f"trail:{user_id}:{org_id or 'all'}")


class Enrollment(Aggregate):
    class CourseEnrolled(Aggregate.Created):
        org_id: UUID
        user_id: UUID
        course_id: UUID

    @event(CourseEnrolled)
    def __init__(self, org_id: UUID, user_id: UUID, course_id: UUID) -> None:
        self.org_id = org_id
        self.user_id = user_id
        self.course_id = course_id
        self.active = True
        self.completed = False
        self.done: set[str] = set()

    @classmethod
    def create_id(cls, org_id: UUID, user_id: UUID, course_id: UUID) -> UUID:
        return enrollment_id(user_id, course_id)

    class CourseReenrolled(Aggregate.Event):
        pass

    @event(CourseReenrolled)
    def _reenroll(self) -> None:
        self.active = True
        self.completed = False
        self.done = set()

    def enroll(self) -> None:
        if not self.active:
            self._reenroll()

    class CourseUnenrolled(Aggregate.Event):
        pass

    @event(CourseUnenrolled)
    def _unenroll(self) -> None:
        self.active = False

    def unenroll(self) -> None:
        if self.active:
            self._unenroll()

    class ActivityCompleted(Aggregate.Event):
        activity_id: UUID

    @event(ActivityCompleted)
    def _complete(self, activity_id: UUID) -> None:
        self.done.add(str(activity_id))

    class ActivityUncompleted(Aggregate.Event):
        activity_id: UUID

    @event(ActivityUncompleted)
    def _uncomplete(self, activity_id: UUID) -> None:
        self.done.discard(str(activity_id))

    class EnrollmentCompleted(Aggregate.Event):
        pass

    @event(EnrollmentCompleted)
    def _completed(self) -> None:
        self.completed = True

    def complete_activity(self, activity_id: UUID, required: Collection[str]) -> None:
        """Mark ``activity_id`` done; completes the enrollment when every required one is."""
        self._ensure_active()
        if str(activity_id) not in self.done:
            self._complete(activity_id)
        if not self.completed and completion_requires_every_activity(required, self.done):
            self._completed()

    def uncomplete_activity(self, activity_id: UUID) -> None:
        self._ensure_active()
        if str(activity_id) in self.done:
            self._uncomplete(activity_id)

    def _ensure_active(self) -> None:
        if not self.active:
            raise Conflict("You are not enrolled in this course", code="NOT_ENROLLED")

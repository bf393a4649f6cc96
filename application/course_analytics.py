"""Course analytics for instructors and org admins: the enrollment funnel of one course."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec

from application.authorization import Authorization, Principal
from domain.errors import InvalidInput, NotFound
from projections.queries.course_analytics import CourseAnalyticsQueries

DEFAULT_DAYS = 30
MAX_DAYS = 366


class DailyPoint(msgspec.Struct, kw_only=True):
    day: str
    enrolled: int
    started: int
    completed: int


class CourseAnalyticsView(msgspec.Struct, kw_only=True):
    """Learners who enrolled between ``since`` and ``until`` (UTC days, inclusive) and how far
    they got; ``daily`` counts what happened each day of the window."""

    course_uuid: str
    since: str
    until: str
    enrolled: int
    started: int
    completed: int
    completion_rate: float | None
    median_days_to_complete: float | None
    daily: list[DailyPoint]


def _day(raw: str | None, name: str, default: date) -> date:
    if not raw:
        return default
    try:
        return date.fromisoformat(raw.strip()[:10])
    except ValueError:
        raise InvalidInput(f"{name} must be an ISO-8601 date", field=name) from None


def window(since: str | None, until: str | None, today: date) -> tuple[date, date]:
    last = _day(until, "until", today)
    first = _day(since, "since", last - timedelta(days=DEFAULT_DAYS - 1))
    if first > last:
        raise InvalidInput("since must not be after until", field="since")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput(f"the window is at most {MAX_DAYS} days", field="since")
    return first, last


class CourseAnalytics:
    def __init__(
        self,
        queries: CourseAnalyticsQueries,
        course_row: Callable[[str], dict[str, Any] | None],
        org_uuid_of: Callable[[str | int], str],
        authz: Authorization,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
    ) -> None:
        self._q = queries
        self._course_row = course_row
        self._org_uuid_of = org_uuid_of
        self._authz = authz
        self._today = today

    def course(
        self, principal: Principal, org_ref: str | int, course_ref: str,
        since: str | None = None, until: str | None = None,
    ) -> CourseAnalyticsView:
        """For who may edit the course: org admins and maintainers, its author (instructors),
        a token with ``courses.update``."""
        org_uuid = self._org_uuid_of(org_ref)
        self._authz.require_token_org(principal, org_uuid)
        row = self._course_row(course_ref)
        if row is None or str(row["org_uuid"]) != org_uuid:
            raise NotFound("Course not found")
        self._authz.require(
            principal, org_uuid, "courses", "update", owner_uuid=str(row["author_uuid"])
        )
        first, last = window(since, until, self._today())
        course_uuid = str(row["course_uuid"])
        funnel = self._q.funnel(course_uuid, first.isoformat(), last.isoformat())
        by_day = self._q.daily(course_uuid, first.isoformat(), last.isoformat())
        series = []
        for offset in range((last - first).days + 1):
            day = (first + timedelta(days=offset)).isoformat()
            enrolled, started, completed = by_day.get(day, (0, 0, 0))
            series.append(DailyPoint(day=day, enrolled=enrolled, started=started, completed=completed))
        return CourseAnalyticsView(
            course_uuid=f"course_{course_uuid}",
            since=first.isoformat(),
            until=last.isoformat(),
            enrolled=funnel.enrolled,
            started=funnel.started,
            completed=funnel.completed,
            completion_rate=round(funnel.completed / funnel.enrolled, 4) if funnel.enrolled else None,
            median_days_to_complete=(
                round(statistics.median(funnel.days_to_complete), 4)
                if funnel.days_to_complete else None
            ),
            daily=series,
        )

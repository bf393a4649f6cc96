"""Course analytics of an org: the enrollment funnel and its daily series."""

from __future__ import annotations

from litestar import Controller, get

from api.schemas import errors
from application.authorization import Principal
from application.course_analytics import CourseAnalytics, CourseAnalyticsView


class AnalyticsController(Controller):
    path = "/api/v1/orgs/{org_id:str}/analytics"
    tags = ["analytics"]

    @get(
        "/courses/{course_uuid:str}",
        operation_id="get_course_analytics",
        summary="Enrolled, started and completed learners of a course, completion rate, "
        "median days to complete, and a daily series (since/until: UTC days, inclusive; "
        "default the last 30 days, at most 366)",
        responses=errors(401, 403, 404, 422),
        sync_to_thread=False,
    )
    def course(
        self, course_analytics: CourseAnalytics, principal: Principal, org_id: str,
        course_uuid: str, since: str | None = None, until: str | None = None,
    ) -> CourseAnalyticsView:
        return course_analytics.course(principal, org_id, course_uuid, since, until)

"""Course-level content routes under ``/api/v1/courses`` (a second controller beside the catalog's)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.params import Parameter

from application.authorization import Principal
from application.content import Content
from application.content_views import CourseMetaView
from application.learning import EnrollmentPage, Learning
from application.search import Search
from application.views import CourseView


class CourseContentController(Controller):
    path = "/api/v1/courses"
    tags = ["courses"]

    @get("/{course_uuid:str}/meta", operation_id="get_course_meta", summary="The course with its ordered chapters and activities, and the caller's progress", sync_to_thread=False)
    def meta(self, content: Content, learning: Learning, principal: Principal, course_uuid: str, with_unpublished_activities: bool = False) -> CourseMetaView:
        meta = content.course_meta(principal, course_uuid, with_unpublished_activities)
        if not principal.is_anonymous:
            meta.trail = learning.run_for(principal, meta.course_uuid)
        return meta

    @get("/{course_uuid:str}/enrollments", operation_id="list_course_enrollments", summary="Learners of a course with progress (instructors and admins)", sync_to_thread=False)
    def enrollments(self, learning: Learning, principal: Principal, course_uuid: str, page: int = 1, limit: int = 20) -> EnrollmentPage:
        return learning.course_enrollments(principal, course_uuid, page, limit)

    @get("/org_slug/{slug:str}/search", operation_id="search_courses", summary="Ranked full-text course search (plain array; limit <= 50)", sync_to_thread=True)
    def search(self, search: Search, principal: Principal, slug: str, text: str = Parameter(query="query", default=""), page: int = 1, limit: int = 10) -> list[CourseView]:
        return search.courses(principal, slug, text, page, limit)

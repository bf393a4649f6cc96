"""Course-level content routes under ``/api/v1/courses`` (a second controller beside the catalog's)."""

from __future__ import annotations

from litestar import Controller, get

from api.params import Limit, Page, SearchLimit, SearchText
from api.schemas import errors
from application.authorization import Principal
from application.content import Content
from application.content_views import CourseMetaView
from application.learning import EnrollmentPage, Learning
from application.search import Search
from application.views import CourseView


class CourseContentController(Controller):
    path = "/api/v1/courses"
    tags = ["courses"]

    @get("/{course_uuid:str}/meta", operation_id="get_course_meta", responses=errors(401, 403, 404, 422), summary="The course with its ordered chapters and activities, and the caller's progress", sync_to_thread=False)
    def meta(self, course_content: Content, learning: Learning, principal: Principal, course_uuid: str, with_unpublished_activities: bool = False) -> CourseMetaView:
        meta = course_content.course_meta(principal, course_uuid, with_unpublished_activities)
        if not principal.is_anonymous:
            meta.trail = learning.run_for(principal, meta.course_uuid)
        return meta

    @get("/{course_uuid:str}/enrollments", operation_id="list_course_enrollments", responses=errors(401, 403, 404, 422), summary="Learners of a course with progress (instructors and admins)", sync_to_thread=False)
    def enrollments(self, learning: Learning, principal: Principal, course_uuid: str, page: Page = 1, limit: Limit = 20) -> EnrollmentPage:
        return learning.course_enrollments(principal, course_uuid, page, limit)

    @get("/org_slug/{slug:str}/search", operation_id="search_courses", responses=errors(401, 403, 404, 422), summary="Ranked full-text course search (plain array; limit <= 50)", sync_to_thread=True)
    def search(self, search: Search, principal: Principal, slug: str, text: SearchText, page: Page = 1, limit: SearchLimit = 10) -> list[CourseView]:
        return search.courses(principal, slug, text, page, limit)

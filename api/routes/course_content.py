"""Course-level content routes under ``/api/v1/courses`` (a second controller beside the catalog's)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.datastructures import State

from application.authorization import Principal
from application.content_views import CourseMetaView
from application.learning import EnrollmentPage


class CourseContentController(Controller):
    path = "/api/v1/courses"
    tags = ["courses"]

    @get("/{course_uuid:str}/meta", operation_id="get_course_meta", summary="The course with its ordered chapters and activities, and the caller's progress", sync_to_thread=True)
    def meta(self, state: State, principal: Principal, course_uuid: str, with_unpublished_activities: bool = False) -> CourseMetaView:
        container = state.container
        meta: CourseMetaView = container.content.course_meta(principal, course_uuid, with_unpublished_activities)
        learning = getattr(container, "learning", None)
        if learning is not None and not principal.is_anonymous:
            meta.trail = learning.run_for(principal, meta.course_uuid)
        return meta

    @get("/{course_uuid:str}/enrollments", operation_id="list_course_enrollments", summary="Learners of a course with progress (instructors and admins)", sync_to_thread=True)
    def enrollments(self, state: State, principal: Principal, course_uuid: str, page: int = 1, limit: int = 20) -> EnrollmentPage:
        return state.container.learning.course_enrollments(principal, course_uuid, page, limit)  # type: ignore[no-any-return]

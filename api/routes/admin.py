"""Headless administration for integrations: enrollments and progress per course, each call
guarded by the API token's ``trails`` rights (or a user's ``users`` rights)."""

from __future__ import annotations

from litestar import Controller, delete, get, post, put

from api.schemas import Detail, errors
from application.authorization import Principal
from application.content_views import TrailRunView
from application.learning_admin import LearningAdmin

BASE = "/courses/{course_ref:str}/users/{user_ref:str}"


class AdminController(Controller):
    path = "/api/v1/admin/{org_slug:str}"
    tags = ["admin"]

    @put(BASE + "/enrollment", operation_id="enroll_member", responses=errors(401, 403, 404, 409), summary="Enroll a member in a course (idempotent)", sync_to_thread=True)
    def enroll(self, learning_admin: LearningAdmin, principal: Principal, org_slug: str, course_ref: str, user_ref: str) -> TrailRunView:
        return learning_admin.enroll(principal, org_slug, course_ref, user_ref)

    @delete(BASE + "/enrollment", operation_id="unenroll_member", responses=errors(401, 403, 404, 409), summary="Unenroll a member from a course", sync_to_thread=True, status_code=200)
    def unenroll(self, learning_admin: LearningAdmin, principal: Principal, org_slug: str, course_ref: str, user_ref: str) -> Detail:
        learning_admin.unenroll(principal, org_slug, course_ref, user_ref)
        return Detail(detail="User unenrolled from the course")

    @post(BASE + "/activities/{activity_ref:str}/complete", operation_id="complete_activity_for_member", responses=errors(401, 403, 404, 409), summary="Mark an activity done for a member", sync_to_thread=True, status_code=200)
    def complete(self, learning_admin: LearningAdmin, principal: Principal, org_slug: str, course_ref: str, user_ref: str, activity_ref: str) -> TrailRunView:
        return learning_admin.set_activity_done(principal, org_slug, course_ref, user_ref, activity_ref, True)

    @delete(BASE + "/activities/{activity_ref:str}/complete", operation_id="uncomplete_activity_for_member", responses=errors(401, 403, 404, 409), summary="Mark an activity not done for a member", sync_to_thread=True, status_code=200)
    def uncomplete(self, learning_admin: LearningAdmin, principal: Principal, org_slug: str, course_ref: str, user_ref: str, activity_ref: str) -> TrailRunView:
        return learning_admin.set_activity_done(principal, org_slug, course_ref, user_ref, activity_ref, False)

    @get(BASE + "/progress", operation_id="get_member_progress", responses=errors(401, 403, 404), summary="A member's progress in a course", sync_to_thread=False)
    def progress(self, learning_admin: LearningAdmin, principal: Principal, org_slug: str, course_ref: str, user_ref: str) -> TrailRunView:
        return learning_admin.progress(principal, org_slug, course_ref, user_ref)

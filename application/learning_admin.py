"""Headless administration of enrollments and progress (what integrators asked LearnHouse for):
enroll or unenroll a member, mark an activity done or not, read a member's progress, per course.

Every call is guarded: an API token needs its ``trails`` right for the action; a user session
needs ``users.action_update`` for every call (other people's progress is not for every member
who may list users), the same ceiling that caps tokens (``domain.api_tokens.ceiling``). LearnHouse's admin routes accepted any token of the
org; here the token's own rights decide.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from application.authorization import Principal
from application.content_access import ContentAccess
from application.content_views import TrailRunView
from application.learning import Learning
from application.organizations import Organizations
from application.writer import Writer
from domain.activities import ACTIVITY_NOT_FOUND
from domain.enrollments import Enrollment, enrollment_id
from domain.errors import Conflict, NotFound, Unauthenticated
from domain.rights import Action
from infrastructure.read_store import Row
from projections.queries.content import ContentQueries
from projections.queries.identity import IdentityQueries

PROGRESS_MODELS = ("progress",)
USER_NOT_FOUND = "User not found in this organization"
NOT_ENROLLED = "The user is not enrolled in this course"


class LearningAdmin:
    def __init__(
        self, writer: Writer, access: ContentAccess, content: ContentQueries,
        learning: Learning, orgs: Organizations, identity: IdentityQueries,
    ) -> None:
        self._writer = writer
        self._access = access
        self._content = content
        self._learning = learning
        self._orgs = orgs
        self._identity = identity

    def _guard(self, principal: Principal, org_slug: str, action: Action) -> str:
        if principal.is_anonymous:
            raise Unauthenticated("Authentication required")
        org_uuid = self._orgs.org_uuid_by_slug(org_slug)
        authz = self._access.authz
        if principal.token is not None:
            authz.require_token_right(principal, org_uuid, "trails", action)
        else:
            authz.require(principal, org_uuid, "users", "update")
        return org_uuid

    def _target(self, principal: Principal, org_slug: str, action: Action, course_ref: str, user_ref: str) -> tuple[Row, UUID]:
        org_uuid = self._guard(principal, org_slug, action)
        course = self._access.course(principal, course_ref)
        if course["org_uuid"] != org_uuid:
            raise NotFound("Course not found")
        user = self._identity.user_row_by_ref(user_ref)
        if user is None or self._identity.membership(org_uuid, user["user_uuid"]) is None:
            raise NotFound(USER_NOT_FOUND)
        return course, UUID(user["user_uuid"])

    def _change(self, course: Row, user: UUID, change: Callable[[Enrollment | None], Enrollment | None]) -> None:
        key = enrollment_id(user, UUID(course["course_uuid"]))

        def attempt() -> None:
            enrollment = change(self._writer.events.get(key, Enrollment))
            if enrollment is not None:
                self._writer.save(enrollment, read_models=PROGRESS_MODELS)

        self._writer.retrying(attempt)

    def _run(self, course: Row, user: UUID) -> TrailRunView:
        run = self._learning.run_for(Principal(user_id=user), course["course_uuid"])
        if run is None:
            raise NotFound(NOT_ENROLLED)
        return run

    def _new(self, course: Row, user: UUID) -> Enrollment:
        return Enrollment(org_id=UUID(course["org_uuid"]), user_id=user, course_id=UUID(course["course_uuid"]))

    def enroll(self, principal: Principal, org_slug: str, course_ref: str, user_ref: str) -> TrailRunView:
        course, user = self._target(principal, org_slug, "create", course_ref, user_ref)

        def change(e: Enrollment | None) -> Enrollment:
            if e is None:
                return self._new(course, user)
            e.enroll()
            return e

        self._change(course, user, change)
        return self._run(course, user)

    def unenroll(self, principal: Principal, org_slug: str, course_ref: str, user_ref: str) -> None:
        course, user = self._target(principal, org_slug, "delete", course_ref, user_ref)

        def change(e: Enrollment | None) -> Enrollment:
            if e is None or not e.active:
                raise NotFound(NOT_ENROLLED)
            e.unenroll()
            return e

        self._change(course, user, change)

    def set_activity_done(
        self, principal: Principal, org_slug: str, course_ref: str, user_ref: str,
        activity_ref: str, done: bool,
    ) -> TrailRunView:
        course, user = self._target(principal, org_slug, "update", course_ref, user_ref)
        activity = self._content.activity_row(activity_ref)
        if activity is None or not activity["published"] or activity["course_uuid"] != course["course_uuid"]:
            raise NotFound(ACTIVITY_NOT_FOUND)
        activity_id = UUID(activity["activity_uuid"])

        def change(e: Enrollment | None) -> Enrollment:
            if e is None or not e.active:
                raise Conflict(NOT_ENROLLED, code="NOT_ENROLLED")
            if done:
                e.complete_activity(activity_id, self._content.required_activities(course["course_uuid"]))
            else:
                e.uncomplete_activity(activity_id)
            return e

        self._change(course, user, change)
        return self._run(course, user)

    def progress(self, principal: Principal, org_slug: str, course_ref: str, user_ref: str) -> TrailRunView:
        course, user = self._target(principal, org_slug, "read", course_ref, user_ref)
        return self._run(course, user)

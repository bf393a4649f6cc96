"""LearnHouse trails (enrollments and progress): ``/api/v1/trail``. API tokens are refused."""

from __future__ import annotations

import msgspec
from litestar import Controller, delete, get, post

from api.params import Limit, Page
from api.schemas import errors
from api.security import no_api_tokens
from application.authorization import Principal
from application.content_views import TrailView
from application.learning import Learning


class TrailCreate(msgspec.Struct, kw_only=True):
    org_id: int | str
    user_id: int | str | None = None


class TrailController(Controller):
    path = "/api/v1/trail"
    tags = ["trail"]
    guards = [no_api_tokens]

    @get("/", operation_id="get_trail", responses=errors(401, 403, 422), summary="The caller's trail across organizations", sync_to_thread=False)
    def mine(self, learning: Learning, principal: Principal, page: Page = 1, limit: Limit = 100) -> TrailView:
        return learning.trail(principal, None, page, limit)

    @get("/org/{org_id:str}/trail", operation_id="get_org_trail", responses=errors(401, 403, 404, 422), summary="The caller's trail in one organization", sync_to_thread=False)
    def in_org(self, learning: Learning, principal: Principal, org_id: str, page: Page = 1, limit: Limit = 100) -> TrailView:
        return learning.trail(principal, org_id, page, limit)

    @post("/start", operation_id="start_trail", responses=errors(401, 403, 404, 409, 413, 422), summary="The caller's trail in an org (created on first enrollment)", status_code=200, sync_to_thread=True)
    def start(self, learning: Learning, principal: Principal, data: TrailCreate) -> TrailView:
        return learning.trail(principal, str(data.org_id))

    @post("/add_course/{course_uuid:str}", operation_id="enroll_in_course", responses=errors(401, 403, 404, 409), summary="Enroll the caller in a course (idempotent)", status_code=200, sync_to_thread=True)
    def add_course(self, learning: Learning, principal: Principal, course_uuid: str) -> TrailView:
        return learning.enroll(principal, course_uuid)

    @delete("/remove_course/{course_uuid:str}", operation_id="leave_course", responses=errors(401, 403, 404, 409), summary="Leave a course", status_code=200, sync_to_thread=True)
    def remove_course(self, learning: Learning, principal: Principal, course_uuid: str) -> TrailView:
        return learning.unenroll(principal, course_uuid)

    @post("/add_activity/{activity_uuid:str}", operation_id="complete_activity", responses=errors(401, 403, 404, 409), summary="Mark an activity complete (enrolls first when needed)", status_code=200)
    async def add_activity(self, learning: Learning, principal: Principal, activity_uuid: str) -> TrailView:
        # On the event loop: cached lookups, one aggregate read, then awaited append and wait.
        return await learning.complete_activity_async(principal, activity_uuid)

    @delete("/remove_activity/{activity_uuid:str}", operation_id="uncomplete_activity", responses=errors(401, 403, 404, 409), summary="Mark an activity not done", status_code=200, sync_to_thread=True)
    def remove_activity(self, learning: Learning, principal: Principal, activity_uuid: str) -> TrailView:
        return learning.uncomplete_activity(principal, activity_uuid)

"""LearnHouse courses. ``POST /api/v1/courses`` is shared with LearningStudio's generation API:
a multipart form creates a course; a JSON body with ``subject`` queues a generation job."""

from __future__ import annotations

from typing import Any

import msgspec
from anyio.to_thread import run_sync
from litestar import Controller, Request, delete, get, post, put
from litestar.openapi.datastructures import ResponseSpec

from api.forms import COURSE_FORM, form_file, form_flag, form_text
from api.params import Limit, NumericId, Page
from api.routes.generation import COURSE_CREATE_ERRORS, submit_generation
from api.routes.history import AsOf
from api.schemas import Detail, errors
from application.authorization import Principal
from application.catalog import Catalog, CourseCreate
from application.generation import Generation
from application.generation_views import JobAccepted
from application.time_travel import TimeTravel
from application.uploads import Upload
from application.views import CourseView
from domain.errors import InvalidInput
from infrastructure.settings import Settings


class CourseUpdate(msgspec.Struct, kw_only=True):
    name: str | None = None
    description: str | None = None
    about: str | None = None
    learnings: str | None = None
    tags: str | None = None
    public: bool | None = None
    published: bool | None = None
    open_to_contributors: bool | None = None


async def read_course_form(request: Request[Any, Any, Any], max_upload: int) -> tuple[CourseCreate, Upload | None]:
    form = await request.form()
    command = CourseCreate(
        name=form_text(form, "name"),
        description=form_text(form, "description"),
        about=form_text(form, "about"),
        learnings=form_text(form, "learnings", ""),
        tags=form_text(form, "tags", ""),
        public=form_flag(form, "public", False),
        published=form_flag(form, "published", True),
    )
    return command, await form_file(form, ("thumbnail",), max_upload)


class CourseController(Controller):
    path = "/api/v1/courses"
    tags = ["courses"]

    @post(
        "/",
        operation_id="create_course",
        summary="Create a course (multipart: name, description, about, public, thumbnail) "
        "or queue an AI generation job (JSON with subject)",
        status_code=200,
        exception_handlers=COURSE_CREATE_ERRORS,
        operation_class=COURSE_FORM,
        responses={
            200: ResponseSpec(CourseView, generate_examples=False, description="The course (form)"),
            202: ResponseSpec(
                JobAccepted, generate_examples=False, description="A generation job was queued (JSON)"
            ),
            **errors(400, 401, 403, 404, 409, 413, 422),
        },
    )
    async def create(
        self, request: Request[Any, Any, Any], catalog: Catalog, settings: Settings, principal: Principal,
        generation: Generation, org_id: str | None = None,
    ) -> Any:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/json"):
            return await submit_generation(request, generation, principal, org_id)
        if org_id is None:
            raise InvalidInput("org_id: Field required", field="org_id")
        command, upload = await read_course_form(request, settings.max_upload_bytes)
        if upload is None:  # nothing to store on disk: no thread needed
            return await catalog.create_course_async(principal, org_id, command)
        return await run_sync(catalog.create_course, principal, org_id, command, upload)

    @get("/id/{course_id:str}", operation_id="get_course_by_id", responses=errors(401, 403, 404, 422), summary="A course by numeric id", sync_to_thread=False)
    def by_id(self, catalog: Catalog, principal: Principal, course_id: NumericId) -> CourseView:
        return catalog.get_course(principal, course_id)

    @get("/org_slug/{slug:str}/page/{page:int}/limit/{limit:int}", operation_id="list_courses", responses=errors(401, 403, 404, 422), summary="Courses of an organization, newest first (plain array)", sync_to_thread=False)
    def list_page(self, catalog: Catalog, principal: Principal, slug: str, page: Page, limit: Limit) -> list[CourseView]:
        return catalog.list_courses(principal, slug, page, limit)

    @get("/org_slug/{slug:str}/count", operation_id="count_courses", responses=errors(401, 403, 404), summary="How many courses the caller can see", sync_to_thread=False)
    def count(self, catalog: Catalog, principal: Principal, slug: str) -> int:
        return catalog.count_courses(principal, slug)

    @get("/{course_uuid:str}", operation_id="get_course", responses=errors(401, 403, 404, 422), summary="A course by course_uuid (as_of: as it was then, rebuilt from the log)", sync_to_thread=False)
    def read(self, catalog: Catalog, principal: Principal, course_uuid: str, time_travel: TimeTravel, as_of: AsOf = None) -> CourseView:
        if as_of is not None:
            return time_travel.course_as_of(principal, course_uuid, as_of)
        return catalog.get_course(principal, course_uuid)

    @put("/{course_uuid:str}", operation_id="update_course", responses=errors(401, 403, 404, 409, 413, 422), summary="Update a course (JSON, partial)", sync_to_thread=True)
    def change(self, catalog: Catalog, principal: Principal, course_uuid: str, data: CourseUpdate) -> CourseView:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
        return catalog.update_course(principal, course_uuid, changes)

    @delete("/{course_uuid:str}", operation_id="delete_course", responses=errors(401, 403, 404, 409), summary="Delete a course", sync_to_thread=True, status_code=200)
    def remove(self, catalog: Catalog, principal: Principal, course_uuid: str) -> Detail:
        catalog.delete_course(principal, course_uuid)
        return Detail(detail="Course deleted")


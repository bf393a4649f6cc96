"""LearnHouse activities: ``/api/v1/activities`` (JSON, or multipart when a file rides along)."""

from __future__ import annotations

from typing import Any

import msgspec
from anyio.to_thread import run_sync
from litestar import Controller, Request, delete, get, post, put

from api.forms import (
    ACTIVITY_FORM,
    PDF_FORM,
    VIDEO_FORM,
    form_file,
    form_flag,
    form_json,
    form_text,
)
from api.params import Limit, NumericId, Page, VersionNumber
from api.schemas import Detail, errors
from application.activities import Activities, ActivityCreate
from application.authorization import Principal
from application.content_views import ActivityVersionView, ActivityView
from application.uploads import Upload
from domain.errors import InvalidInput

FILE_FIELDS = ("file", "video_file", "pdf_file", "document_file")


class ActivityUpdate(msgspec.Struct, kw_only=True):
    name: str | None = None
    activity_type: str | None = None
    activity_sub_type: str | None = None
    content: dict[str, Any] | None = None
    details: dict[str, Any] | None = None
    published: bool | None = None
    lock_type: str | None = None


class ExternalVideo(msgspec.Struct, kw_only=True):
    name: str
    uri: str
    chapter_id: int | str
    type: str = "youtube"
    published: bool = True
    lock_type: str = "public"


async def _form_command(
    request: Request[Any, Any, Any], limit: int, sub_type: str | None = None
) -> tuple[ActivityCreate, Upload | None]:
    form = await request.form()
    upload = await form_file(form, FILE_FIELDS, limit)
    if sub_type is None:
        sub_type = form_text(form, "activity_sub_type", "SUBTYPE_DYNAMIC_PAGE")
        kind = form_text(form, "activity_type", "TYPE_DYNAMIC")
    else:
        kind = "TYPE_VIDEO" if sub_type.startswith("SUBTYPE_VIDEO") else "TYPE_DOCUMENT"
    command = ActivityCreate(
        name=form_text(form, "name"),
        chapter_id=form_text(form, "chapter_id"),
        activity_type=kind,
        activity_sub_type=sub_type,
        content=form_json(form, "content"),
        details=form_json(form, "details"),
        published=form_flag(form, "published", True),
        lock_type=form_text(form, "lock_type", "public"),
    )
    return command, upload


class ActivityController(Controller):
    path = "/api/v1/activities"
    tags = ["activities"]

    @post("/", operation_id="create_activity", operation_class=ACTIVITY_FORM, responses=errors(401, 403, 404, 409, 413, 422), summary="Create an activity (JSON; multipart with `file` for hosted video / PDF)", status_code=200)
    async def create(self, request: Request[Any, Any, Any], activities: Activities, principal: Principal) -> ActivityView:
        if request.headers.get("content-type", "").startswith("multipart/"):
            command, upload = await _form_command(request, activities.max_upload_bytes)
        else:
            try:
                command = msgspec.json.decode(await request.body(), type=ActivityCreate)
            except msgspec.ValidationError as error:
                raise InvalidInput(str(error), field=_field(str(error))) from None
            except msgspec.DecodeError:
                raise InvalidInput("body must be a JSON object", field="body") from None
            upload = None
        return await run_sync(activities.create, principal, command, upload)

    @post("/video", operation_id="create_video_activity", operation_class=VIDEO_FORM, responses=errors(401, 403, 404, 409, 413, 422), summary="Hosted video (multipart: name, chapter_id, video_file)", status_code=200)
    async def video(self, request: Request[Any, Any, Any], activities: Activities, principal: Principal) -> ActivityView:
        command, upload = await _form_command(request, activities.max_upload_bytes, "SUBTYPE_VIDEO_HOSTED")
        return await run_sync(activities.create, principal, command, upload)

    @post("/documentpdf", operation_id="create_pdf_activity", operation_class=PDF_FORM, responses=errors(401, 403, 404, 409, 413, 422), summary="PDF document (multipart: name, chapter_id, pdf_file)", status_code=200)
    async def pdf(self, request: Request[Any, Any, Any], activities: Activities, principal: Principal) -> ActivityView:
        command, upload = await _form_command(request, activities.max_upload_bytes, "SUBTYPE_DOCUMENT_PDF")
        return await run_sync(activities.create, principal, command, upload)

    @post("/external_video", operation_id="create_external_video_activity", responses=errors(401, 403, 404, 409, 413, 422), summary="YouTube video (JSON: name, uri, chapter_id)", status_code=200, sync_to_thread=True)
    def external_video(self, activities: Activities, principal: Principal, data: ExternalVideo) -> ActivityView:
        command = ActivityCreate(
            name=data.name, chapter_id=data.chapter_id, activity_type="TYPE_VIDEO",
            activity_sub_type="SUBTYPE_VIDEO_YOUTUBE", content={"uri": data.uri, "type": data.type},
            published=data.published, lock_type=data.lock_type,
        )
        return activities.create(principal, command)

    @get("/id/{activity_id:str}", operation_id="get_activity_by_id", responses=errors(401, 403, 404, 422), summary="An activity by numeric id", sync_to_thread=False)
    def by_id(self, activities: Activities, principal: Principal, activity_id: NumericId) -> ActivityView:
        return activities.get(principal, activity_id)

    @get("/chapter/{chapter_id:str}", operation_id="list_chapter_activities", responses=errors(401, 403, 404, 422), summary="Activities of a chapter, in order (plain array)", sync_to_thread=False)
    def of_chapter(self, activities: Activities, principal: Principal, chapter_id: str, page: Page = 1, limit: Limit = 100) -> list[ActivityView]:
        return activities.of_chapter(principal, chapter_id, page, limit)

    @get("/{activity_uuid:str}", operation_id="get_activity", responses=errors(401, 403, 404), summary="An activity", sync_to_thread=False)
    def read(self, activities: Activities, principal: Principal, activity_uuid: str) -> ActivityView:
        return activities.get(principal, activity_uuid)

    @put("/{activity_uuid:str}", operation_id="update_activity", responses=errors(401, 403, 404, 409, 413, 422), summary="Update an activity (partial; each change is a new version)", sync_to_thread=True)
    def change(self, activities: Activities, principal: Principal, activity_uuid: str, data: ActivityUpdate) -> ActivityView:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
        return activities.update(principal, activity_uuid, changes)

    @delete("/{activity_uuid:str}", operation_id="delete_activity", responses=errors(401, 403, 404, 409), summary="Delete an activity", status_code=200, sync_to_thread=True)
    def remove(self, activities: Activities, principal: Principal, activity_uuid: str) -> Detail:
        activities.delete(principal, activity_uuid)
        return Detail(detail="Activity deleted")

    @get("/{activity_uuid:str}/versions", operation_id="list_activity_versions", responses=errors(401, 403, 404), summary="Every version of an activity (one per event)", sync_to_thread=False)
    def versions(self, activities: Activities, principal: Principal, activity_uuid: str) -> list[ActivityVersionView]:
        return activities.versions(principal, activity_uuid)

    @get("/{activity_uuid:str}/versions/{number:int}", operation_id="get_activity_version", responses=errors(401, 403, 404, 422), summary="The activity as it was at version n", sync_to_thread=False)
    def version(self, activities: Activities, principal: Principal, activity_uuid: str, number: VersionNumber) -> ActivityView:
        return activities.version(principal, activity_uuid, number)

    @post("/{activity_uuid:str}/versions/{number:int}/restore", operation_id="restore_activity_version", responses=errors(401, 403, 404, 409, 422), summary="Restore version n (appends a new version)", status_code=200, sync_to_thread=True)
    def restore(self, activities: Activities, principal: Principal, activity_uuid: str, number: VersionNumber) -> ActivityView:
        return activities.restore(principal, activity_uuid, number)


def _field(message: str) -> str | None:
    # msgspec says e.g. "Object missing required field `name`" or "... - at `$.chapter_id`"
    if "`" in message:
        return message.split("`")[1].removeprefix("$.")
    return None

"""LearnHouse chapters: ``/api/v1/chapters``."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, delete, get, post, put

from api.params import Limit, Page
from api.schemas import Detail, errors
from application.authorization import Principal
from application.content import ChapterCreate, Content
from application.content_views import ChapterView


class ChapterUpdate(msgspec.Struct, kw_only=True):
    name: str | None = None
    description: str | None = None
    thumbnail_image: str | None = None


class ActivityOrder(msgspec.Struct, kw_only=True):
    activity_id: int | str


class ChapterOrder(msgspec.Struct, kw_only=True):
    chapter_id: int | str
    activities_order_by_ids: list[ActivityOrder] = msgspec.field(default_factory=list)


class OrderBody(msgspec.Struct, kw_only=True):
    chapter_order_by_ids: list[ChapterOrder]


class ChapterController(Controller):
    path = "/api/v1/chapters"
    tags = ["chapters"]

    @post("/", operation_id="create_chapter", responses=errors(401, 403, 404, 409, 413, 422), summary="Create a chapter (course_id: numeric id or course_uuid)", status_code=200, sync_to_thread=True)
    def create(self, course_content: Content, principal: Principal, data: ChapterCreate) -> ChapterView:
        return course_content.create_chapter(principal, data)

    @get("/{chapter_id:str}", operation_id="get_chapter", responses=errors(401, 403, 404), summary="A chapter with its activities", sync_to_thread=False)
    def read(self, course_content: Content, principal: Principal, chapter_id: str) -> ChapterView:
        return course_content.get_chapter(principal, chapter_id)

    @put("/{chapter_id:str}", operation_id="update_chapter", responses=errors(401, 403, 404, 409, 413, 422), summary="Update a chapter (partial)", sync_to_thread=True)
    def change(self, course_content: Content, principal: Principal, chapter_id: str, data: ChapterUpdate) -> ChapterView:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
        return course_content.update_chapter(principal, chapter_id, changes)

    @delete("/{chapter_id:str}", operation_id="delete_chapter", responses=errors(401, 403, 404, 409), summary="Delete a chapter and its activities", status_code=200, sync_to_thread=True)
    def remove(self, course_content: Content, principal: Principal, chapter_id: str) -> Detail:
        course_content.delete_chapter(principal, chapter_id)
        return Detail(detail="Chapter deleted")

    @get("/course/{course_id:str}/page/{page:int}/limit/{limit:int}", operation_id="list_chapters", responses=errors(401, 403, 404, 422), summary="Chapters of a course, in order (plain array)", sync_to_thread=False)
    def list_page(self, course_content: Content, principal: Principal, course_id: str, page: Page, limit: Limit) -> list[ChapterView]:
        return course_content.list_chapters(principal, course_id, page, limit)

    @get("/course/{course_uuid:str}/meta", operation_id="get_chapters_meta", responses=errors(401, 403, 404), deprecated=True, summary="Deprecated LearnHouse outline {chapterOrder, chapters, activities}", sync_to_thread=False)
    def meta(self, course_content: Content, principal: Principal, course_uuid: str) -> dict[str, Any]:
        return course_content.legacy_meta(principal, course_uuid)

    @put("/course/{course_uuid:str}/order", operation_id="order_chapters", responses=errors(401, 403, 404, 409, 413, 422), summary="Reorder chapters and the activities inside them", sync_to_thread=True)
    def order(self, course_content: Content, principal: Principal, course_uuid: str, data: OrderBody) -> Detail:
        order = [
            {
                "chapter_id": c.chapter_id,
                "activities_order_by_ids": [{"activity_id": a.activity_id} for a in c.activities_order_by_ids],
            }
            for c in data.chapter_order_by_ids
        ]
        course_content.reorder(principal, course_uuid, order)
        return Detail(detail="Chapters reordered")

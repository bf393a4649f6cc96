"""LearnHouse chapters: ``/api/v1/chapters``."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.datastructures import State

from application.authorization import Principal
from application.content import ChapterCreate
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


class Detail(msgspec.Struct):
    detail: str


class ChapterController(Controller):
    path = "/api/v1/chapters"
    tags = ["chapters"]

    @post("/", operation_id="create_chapter", summary="Create a chapter (course_id: numeric id or course_uuid)", status_code=200, sync_to_thread=True)
    def create(self, state: State, principal: Principal, data: ChapterCreate) -> ChapterView:
        return state.container.content.create_chapter(principal, data)  # type: ignore[no-any-return]

    @get("/{chapter_id:str}", operation_id="get_chapter", summary="A chapter with its activities", sync_to_thread=False)
    def read(self, state: State, principal: Principal, chapter_id: str) -> ChapterView:
        return state.container.content.get_chapter(principal, chapter_id)  # type: ignore[no-any-return]

    @put("/{chapter_id:str}", operation_id="update_chapter", summary="Update a chapter (partial)", sync_to_thread=True)
    def change(self, state: State, principal: Principal, chapter_id: str, data: ChapterUpdate) -> ChapterView:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
        return state.container.content.update_chapter(principal, chapter_id, changes)  # type: ignore[no-any-return]

    @delete("/{chapter_id:str}", operation_id="delete_chapter", summary="Delete a chapter and its activities", status_code=200, sync_to_thread=True)
    def remove(self, state: State, principal: Principal, chapter_id: str) -> Detail:
        state.container.content.delete_chapter(principal, chapter_id)
        return Detail(detail="Chapter deleted")

    @get("/course/{course_id:str}/page/{page:int}/limit/{limit:int}", operation_id="list_chapters", summary="Chapters of a course, in order (plain array)", sync_to_thread=False)
    def list_page(self, state: State, principal: Principal, course_id: str, page: int, limit: int) -> list[ChapterView]:
        return state.container.content.list_chapters(principal, course_id, page, limit)  # type: ignore[no-any-return]

    @get("/course/{course_uuid:str}/meta", operation_id="chapters_meta", summary="Deprecated LearnHouse outline {chapterOrder, chapters, activities}", sync_to_thread=False)
    def meta(self, state: State, principal: Principal, course_uuid: str) -> dict[str, Any]:
        return state.container.content.legacy_meta(principal, course_uuid)  # type: ignore[no-any-return]

    @put("/course/{course_uuid:str}/order", operation_id="order_chapters", summary="Reorder chapters and the activities inside them", sync_to_thread=True)
    def order(self, state: State, principal: Principal, course_uuid: str, data: OrderBody) -> Detail:
        order = [
            {
                "chapter_id": c.chapter_id,
                "activities_order_by_ids": [{"activity_id": a.activity_id} for a in c.activities_order_by_ids],
            }
            for c in data.chapter_order_by_ids
        ]
        state.container.content.reorder(principal, course_uuid, order)
        return Detail(detail="Chapters reordered")

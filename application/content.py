"""Course content: chapters, their order, the course outline (``meta``) and bulk import.

Chapter/activity numeric ids are the log positions of their creation events (like courses);
wherever a route takes ``course_id`` the numeric id and the ``course_uuid`` both work.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from application.authorization import Principal
from application.content_access import CONTENT_MODELS, ContentAccess
from application.content_views import ChapterView, CourseMetaView
from application.organizations import Organizations
from application.paging import page_of
from application.writer import Writer
from domain.activities import Activity, check_activity
from domain.chapters import CHAPTER_NOT_FOUND, Chapter
from domain.errors import InvalidInput, NotFound
from domain.outline import CourseOutline, outline_id
from infrastructure.read_store import Row
from projections.queries.content import ContentQueries, activity_view, chapter_view


class ChapterCreate(msgspec.Struct, kw_only=True):
    name: str
    course_id: int | str
    org_id: int | str | None = None
    description: str = ""
    thumbnail_image: str = ""


class ActivityDraft(msgspec.Struct, kw_only=True):
    name: str
    activity_type: str = "TYPE_DYNAMIC"
    activity_sub_type: str = "SUBTYPE_DYNAMIC_PAGE"
    content: dict[str, Any] = msgspec.field(default_factory=dict)
    details: dict[str, Any] = msgspec.field(default_factory=dict)
    published: bool = True
    lock_type: str = "public"


class ChapterImport(msgspec.Struct, kw_only=True):
    name: str
    description: str = ""
    activities: list[ActivityDraft] = msgspec.field(default_factory=list)


def new_activity(course: Row, chapter_id: UUID, draft: ActivityDraft) -> Activity:
    state = msgspec.structs.asdict(draft)
    state["name"] = str(state["name"]).strip()
    check_activity(state)
    return Activity(
        org_id=UUID(course["org_uuid"]),
        course_id=UUID(course["course_uuid"]),
        chapter_id=chapter_id,
        **state,
    )


def outline_aggregates(course: Row, chapters: list[ChapterImport]) -> tuple[list[Any], int]:
    """The chapters and activities of an outline for ``course`` (its ``org_uuid`` and
    ``course_uuid``), unsaved, and how many activities they are."""
    aggregates: list[Any] = []
    count = 0
    for item in chapters:
        if not item.name.strip():
            raise InvalidInput("name must not be empty", field="name")
        chapter = Chapter(
            org_id=UUID(course["org_uuid"]),
            course_id=UUID(course["course_uuid"]),
            name=item.name.strip(),
            description=item.description,
            thumbnail_image="",
        )
        aggregates.append(chapter)
        for draft in item.activities:
            aggregates.append(new_activity(course, chapter.id, draft))
            count += 1
    return aggregates, count


class Content:
    def __init__(
        self, writer: Writer, access: ContentAccess, queries: ContentQueries, orgs: Organizations
    ) -> None:
        self._writer = writer
        self._access = access
        self._q = queries
        self._orgs = orgs

    # -- chapters -----------------------------------------------------------------------
    def create_chapter(self, principal: Principal, command: ChapterCreate) -> ChapterView:
        course = self._access.course(principal, command.course_id)
        if command.org_id is not None and self._orgs.org_uuid(command.org_id) != course["org_uuid"]:
            raise InvalidInput("course_id does not belong to org_id", field="course_id")
        self._access.require(principal, course, "coursechapters", "create")
        name = command.name.strip()
        if not name:
            raise InvalidInput("name must not be empty", field="name")
        chapter = Chapter(
            org_id=UUID(course["org_uuid"]),
            course_id=UUID(course["course_uuid"]),
            name=name,
            description=command.description,
            thumbnail_image=command.thumbnail_image,
        )
        self._writer.save(chapter, read_models=CONTENT_MODELS)
        return self._chapter_view(principal, self._chapter_row(str(chapter.id)), course)

    def _chapter_row(self, ref: str) -> Row:
        row = self._q.chapter_row(ref)
        if row is None:
            raise NotFound(CHAPTER_NOT_FOUND)
        return row

    def _visible_chapter(self, principal: Principal, ref: str) -> tuple[Row, Row]:
        row = self._chapter_row(ref)
        try:
            course = self._access.course(principal, row["course_uuid"])
        except NotFound:
            raise NotFound(CHAPTER_NOT_FOUND) from None
        return row, course

    def _chapter_view(self, principal: Principal, row: Row, course: Row) -> ChapterView:
        published_only = not self._access.editor(principal, course)
        activities = [
            activity_view(r)
            for r in self._q.chapter_activity_rows(row["chapter_uuid"], published_only)
        ]
        self._access.redact(principal, course, activities)
        return chapter_view(row, activities)

    def get_chapter(self, principal: Principal, ref: str) -> ChapterView:
        row, course = self._visible_chapter(principal, ref)
        return self._chapter_view(principal, row, course)

    def list_chapters(
        self, principal: Principal, course_ref: str, page: int, limit: int
    ) -> list[ChapterView]:
        window = page_of(page, limit, 100)
        course = self._access.course(principal, course_ref)
        rows = self._q.chapter_rows(course["course_uuid"], window.number, window.limit)
        return [self._chapter_view(principal, r, course) for r in rows]

    def update_chapter(self, principal: Principal, ref: str, changes: dict[str, Any]) -> ChapterView:
        row, course = self._visible_chapter(principal, ref)
        self._access.require(principal, course, "coursechapters", "update")
        if "name" in changes and changes["name"] is not None and not str(changes["name"]).strip():
            raise InvalidInput("name must not be empty", field="name")

        def apply() -> None:
            chapter = self._writer.events.get(UUID(row["chapter_uuid"]), Chapter)
            if chapter is None:
                raise NotFound(CHAPTER_NOT_FOUND)
            chapter.update(changes)
            self._writer.save(chapter, read_models=CONTENT_MODELS)

        self._writer.retrying(apply)
        return self.get_chapter(principal, row["chapter_uuid"])

    def delete_chapter(self, principal: Principal, ref: str) -> None:
        """Deletes the chapter and every activity in it, in one append."""
        row, course = self._visible_chapter(principal, ref)
        self._access.require(principal, course, "coursechapters", "delete")

        def apply() -> None:
            chapter = self._writer.events.get(UUID(row["chapter_uuid"]), Chapter)
            if chapter is None:
                raise NotFound(CHAPTER_NOT_FOUND)
            chapter.delete()
            doomed = []
            for r in self._q.chapter_activity_rows(row["chapter_uuid"], published_only=False):
                activity = self._writer.events.get(UUID(r["activity_uuid"]), Activity)
                if activity is not None and not activity.deleted:
                    activity.delete()
                    doomed.append(activity)
            self._writer.save(chapter, *doomed, read_models=CONTENT_MODELS)

        self._writer.retrying(apply)

    # -- order and outline --------------------------------------------------------------
    def reorder(self, principal: Principal, course_ref: str, order: list[dict[str, Any]]) -> None:
        """``chapter_order_by_ids``: chapters (numeric id or uuid) with their activities."""
        course = self._access.course(principal, course_ref)
        self._access.require(principal, course, "coursechapters", "update")
        entries = []
        for item in order:
            chapter = self._q.chapter_row(str(item.get("chapter_id", "")))
            if chapter is None or chapter["course_uuid"] != course["course_uuid"]:
                raise InvalidInput(
                    f"chapter {item.get('chapter_id')} is not a chapter of this course",
                    field="chapter_order_by_ids",
                )
            activity_ids = []
            for a in item.get("activities_order_by_ids") or []:
                activity = self._q.activity_row(str(a.get("activity_id", "")))
                if activity is None or activity["course_uuid"] != course["course_uuid"]:
                    raise InvalidInput(
                        f"activity {a.get('activity_id')} is not an activity of this course",
                        field="activities_order_by_ids",
                    )
                activity_ids.append(activity["activity_uuid"])
            entries.append({"chapter_id": chapter["chapter_uuid"], "activity_ids": activity_ids})
        course_id = UUID(course["course_uuid"])

        def apply() -> None:
            outline = self._writer.events.get(outline_id(course_id), CourseOutline)
            if outline is None:
                outline = CourseOutline(course_id=course_id)
            outline.reorder(entries)
            self._writer.save(outline, read_models=CONTENT_MODELS)

        self._writer.retrying(apply)

    def course_meta(
        self, principal: Principal, course_ref: str, with_unpublished: bool = False
    ) -> CourseMetaView:
        """The course with its ordered chapters and activities (drafts only for editors)."""
        course = self._access.course(principal, course_ref)
        published_only = not (with_unpublished and self._access.editor(principal, course))
        chapters = self._q.outline(course["course_uuid"], published_only)
        for chapter in chapters:
            self._access.redact(principal, course, chapter.activities)
        base = self._access.catalog.views([course])[0]
        return CourseMetaView(**msgspec.structs.asdict(base), chapters=chapters)

    def legacy_meta(self, principal: Principal, course_ref: str) -> dict[str, Any]:
        """LearnHouse's deprecated ``{chapterOrder, chapters, activities}`` shape."""
        meta = self.course_meta(principal, course_ref)
        return {
            "chapterOrder": [c.chapter_uuid for c in meta.chapters],
            "chapters": {
                c.chapter_uuid: {
                    "id": c.chapter_uuid,
                    "name": c.name,
                    "activityIds": [a.activity_uuid for a in c.activities],
                }
                for c in meta.chapters
            },
            "activities": {
                a.activity_uuid: {
                    "id": a.activity_uuid,
                    "name": a.name,
                    "type": a.activity_type,
                    "content": a.content,
                }
                for c in meta.chapters
                for a in c.activities
            },
        }

    # -- bulk ---------------------------------------------------------------------------
    def import_outline(
        self, principal: Principal, course_ref: str, chapters: list[ChapterImport]
    ) -> int:
        """Append whole chapters with their activities in ONE transaction (migrations, bench).
        Returns how many activities were created."""
        course = self._access.course(principal, course_ref)
        self._access.require(principal, course, "coursechapters", "create")
        self._access.require(principal, course, "activities", "create")
        aggregates, count = outline_aggregates(course, chapters)
        self._writer.save(*aggregates, read_models=CONTENT_MODELS)
        return count

"""A chapter of a course. Its place in the course is kept by ``domain.outline.CourseOutline``."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.editing import real_changes
from domain.errors import NotFound

CHAPTER_FIELDS = ("name", "description", "thumbnail_image")
CHAPTER_NOT_FOUND = "Chapter does not exist"


class Chapter(Aggregate):
    class ChapterCreated(Aggregate.Created):
        org_id: UUID
        course_id: UUID
        name: str
        description: str
        thumbnail_image: str

    @event(ChapterCreated)
    def __init__(
        self, org_id: UUID, course_id: UUID, name: str, description: str, thumbnail_image: str
    ) -> None:
        self.org_id = org_id
        self.course_id = course_id
        self.name = name
        self.description = description
        self.thumbnail_image = thumbnail_image
        self.deleted = False

    class ChapterUpdated(Aggregate.Event):
        changes: dict[str, Any]

    @event(ChapterUpdated)
    def _apply_update(self, changes: dict[str, Any]) -> None:
        for key, value in changes.items():
            setattr(self, key, value)

    def update(self, changes: dict[str, Any]) -> None:
        self.ensure_alive()
        real = real_changes(self, changes, CHAPTER_FIELDS, skip_none=True)
        if real:
            self._apply_update(real)

    class ChapterDeleted(Aggregate.Event):
        pass

    @event(ChapterDeleted)
    def _delete(self) -> None:
        self.deleted = True

    def delete(self) -> None:
        self.ensure_alive()
        self._delete()

    def ensure_alive(self) -> None:
        if self.deleted:
            raise NotFound(CHAPTER_NOT_FOUND)

"""The order of a course's chapters and of the activities inside them.

One aggregate per course (deterministic id), so two concurrent reorders of one course are a
version conflict rather than a silent interleaving. New chapters and activities need no outline
event: they sort after everything ordered so far (read models place them by creation position).
Chapters or activities left out of a reorder keep their previous place value (ties are broken
by creation order); an activity listed under another chapter moves there.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidInput

_OUTLINES = UUID("3d6c2f0e-8f4a-4a47-9f0c-0d1b6a8e2c11")


def outline_id(course_id: UUID) -> UUID:
    return uuid5(_OUTLINES, str(course_id))


class CourseOutline(Aggregate):
    class CourseOutlineStarted(Aggregate.Created):
        course_id: UUID

    @event(CourseOutlineStarted)
    def __init__(self, course_id: UUID) -> None:
        self.course_id = course_id
        self.chapters: list[dict[str, Any]] = []

    @classmethod
    def create_id(cls, course_id: UUID) -> UUID:
        return outline_id(course_id)

    class CourseContentReordered(Aggregate.Event):
        course_id: UUID
        # [{"chapter_id": "<uuid>", "activity_ids": ["<uuid>", ...]}, ...]
        chapters: list[dict[str, Any]]

    @event(CourseContentReordered)
    def _reorder(self, course_id: UUID, chapters: list[dict[str, Any]]) -> None:
        self.chapters = chapters

    def reorder(self, chapters: list[dict[str, Any]]) -> None:
        seen_chapters: set[str] = set()
        seen_activities: set[str] = set()
        for entry in chapters:
            chapter = str(entry["chapter_id"])
            if chapter in seen_chapters:
                raise InvalidInput(f"chapter {chapter} is listed twice", field="chapter_order_by_ids")
            seen_chapters.add(chapter)
            for activity in entry["activity_ids"]:
                if activity in seen_activities:
                    raise InvalidInput(
                        f"activity {activity} is listed twice", field="activities_order_by_ids"
                    )
                seen_activities.add(str(activity))
        if chapters != self.chapters:
            self._reorder(self.course_id, chapters)

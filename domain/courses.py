"""The course aggregate (its chapters and activities are aggregates of their own)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.editing import real_changes
from domain.errors import InvalidInput, NotFound

COURSE_FIELDS = (
    "name", "description", "about", "learnings", "tags", "public", "open_to_contributors",
    "thumbnail_image",
)

REQUIRED_TEXT = ("name", "description", "about")


class Course(Aggregate):
    class CourseCreated(Aggregate.Created):
        org_id: UUID
        author_id: UUID
        name: str
        description: str
        about: str
        learnings: str
        tags: str
        public: bool
        published: bool
        thumbnail_image: str

    @event(CourseCreated)
    def __init__(
        self,
        org_id: UUID,
        author_id: UUID,
        name: str,
        description: str,
        about: str,
        learnings: str,
        tags: str,
        public: bool,
        published: bool,
        thumbnail_image: str,
    ) -> None:
        self.org_id = org_id
        self.author_id = author_id
        self.name = name
        self.description = description
        self.about = about
        self.learnings = learnings
        self.tags = tags
        self.public = public
        self.published = published
        self.thumbnail_image = thumbnail_image
        self.open_to_contributors = False
        self.deleted = False

    class CourseUpdated(Aggregate.Event):
        changes: dict[str, Any]

    @event(CourseUpdated)
    def _apply_update(self, changes: dict[str, Any]) -> None:
        for key, value in changes.items():
            setattr(self, key, value)

    def update(self, changes: dict[str, Any]) -> None:
        self.ensure_alive()
        for field in REQUIRED_TEXT:
            if field in changes and not str(changes[field] or "").strip():
                raise InvalidInput(f"{field} must not be empty", field=field)
        real = real_changes(self, changes, COURSE_FIELDS)
        if real:
            self._apply_update(real)

    class CoursePublished(Aggregate.Event):
        pass

    @event(CoursePublished)
    def _publish(self) -> None:
        self.published = True

    class CourseUnpublished(Aggregate.Event):
        pass

    @event(CourseUnpublished)
    def _unpublish(self) -> None:
        self.published = False

    def set_published(self, published: bool) -> None:
        self.ensure_alive()
        if published and not self.published:
            self._publish()
        elif not published and self.published:
            self._unpublish()

    class CourseDeleted(Aggregate.Event):
        pass

    @event(CourseDeleted)
    def _delete(self) -> None:
        self.deleted = True

    def delete(self) -> None:
        self.ensure_alive()
        self._delete()

    def ensure_alive(self) -> None:
        if self.deleted:
            raise NotFound("Course not found")

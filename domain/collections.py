"""A collection: a named, ordered set of courses of one org (public or members-only)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.editing import real_changes
from domain.errors import NotFound

COLLECTION_FIELDS = ("name", "description", "public", "course_ids")
COLLECTION_NOT_FOUND = "Collection not found"


class Collection(Aggregate):
    class CollectionCreated(Aggregate.Created):
        org_id: UUID
        name: str
        description: str
        public: bool
        course_ids: list[str]  # course uuids (bare), in display order

    @event(CollectionCreated)
    def __init__(
        self, org_id: UUID, name: str, description: str, public: bool, course_ids: list[str]
    ) -> None:
        self.org_id = org_id
        self.name = name
        self.description = description
        self.public = public
        self.course_ids = course_ids
        self.deleted = False

    class CollectionUpdated(Aggregate.Event):
        changes: dict[str, Any]

    @event(CollectionUpdated)
    def _apply_update(self, changes: dict[str, Any]) -> None:
        for key, value in changes.items():
            setattr(self, key, value)

    def update(self, changes: dict[str, Any]) -> None:
        self.ensure_alive()
        real = real_changes(self, changes, COLLECTION_FIELDS, skip_none=True)
        if real:
            self._apply_update(real)

    class CollectionDeleted(Aggregate.Event):
        pass

    @event(CollectionDeleted)
    def _delete(self) -> None:
        self.deleted = True

    def delete(self) -> None:
        self.ensure_alive()
        self._delete()

    def ensure_alive(self) -> None:
        if self.deleted:
            raise NotFound(COLLECTION_NOT_FOUND)

"""The organization aggregate: a tenant."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import Gone


class Org(Aggregate):
    class OrgCreated(Aggregate.Created):
        name: str
        slug: str
        description: str
        email: str
        creator_id: UUID | None

    @event(OrgCreated)
    def __init__(
        self, name: str, slug: str, description: str, email: str, creator_id: UUID | None
    ) -> None:
        self.name = name
        self.slug = slug
        self.description = description
        self.email = email
        self.creator_id = creator_id
        self.logo_image = ""
        self.deleted = False

    class OrgUpdated(Aggregate.Event):
        changes: dict[str, Any]

    @event(OrgUpdated)
    def _apply_update(self, changes: dict[str, Any]) -> None:
        for key, value in changes.items():
            setattr(self, key, value)

    def update(self, changes: dict[str, Any]) -> None:
        self.ensure_alive()
        real = {k: v for k, v in changes.items() if getattr(self, k, None) != v}
        if real:
            self._apply_update(real)

    class OrgDeleted(Aggregate.Event):
        pass

    @event(OrgDeleted)
    def _mark_deleted(self) -> None:
        self.deleted = True

    def delete(self) -> None:
        self.ensure_alive()
        self._mark_deleted()

    def ensure_alive(self) -> None:
        if self.deleted:
            raise Gone("Organization has been deleted")

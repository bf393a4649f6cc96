"""A custom role of an org (the four built-in roles live in ``domain.rights``)."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import NotFound
from domain.rights import Rights


class Role(Aggregate):
    class RoleCreated(Aggregate.Created):
        org_id: UUID
        name: str
        description: str
        rights: dict[str, dict[str, bool]]

    @event(RoleCreated)
    def __init__(self, org_id: UUID, name: str, description: str, rights: Rights) -> None:
        self.org_id = org_id
        self.name = name
        self.description = description
        self.rights = rights
        self.deleted = False

    # The update and delete events name the org (and the role) so that a follower (webhooks)
    # can route them without a lookup; no route emitted either event before they carried it.
    class RoleUpdated(Aggregate.Event):
        org_id: UUID
        name: str
        description: str
        rights: dict[str, dict[str, bool]]

    @event(RoleUpdated)
    def _apply_update(self, org_id: UUID, name: str, description: str, rights: Rights) -> None:
        self.name = name
        self.description = description
        self.rights = rights

    def update(self, name: str, description: str, rights: Rights) -> None:
        self.ensure_alive()
        if (name, description, rights) != (self.name, self.description, self.rights):
            self._apply_update(self.org_id, name, description, rights)

    class RoleDeleted(Aggregate.Event):
        org_id: UUID
        name: str

    @event(RoleDeleted)
    def _mark_deleted(self, org_id: UUID, name: str) -> None:
        self.deleted = True

    def delete(self) -> None:
        self.ensure_alive()
        self._mark_deleted(self.org_id, self.name)

    def ensure_alive(self) -> None:
        if self.deleted:
            raise NotFound("Role not found")

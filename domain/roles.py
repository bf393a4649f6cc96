"""A custom role of an org (the four built-in roles live in ``domain.rights``)."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

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

    class RoleUpdated(Aggregate.Event):
        name: str
        description: str
        rights: dict[str, dict[str, bool]]

    @event(RoleUpdated)
    def update(self, name: str, description: str, rights: Rights) -> None:
        self.name = name
        self.description = description
        self.rights = rights

    class RoleDeleted(Aggregate.Event):
        pass

    @event(RoleDeleted)
    def delete(self) -> None:
        self.deleted = True

"""A user's membership of an org, with one role. One aggregate per (org, user) pair, so a user
joins an org at most once even under concurrent signups."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import Conflict
from domain.ids import membership_id


class Membership(Aggregate):
    class UserJoinedOrg(Aggregate.Created):
        org_id: UUID
        user_id: UUID
        role_uuid: str

    @event(UserJoinedOrg)
    def __init__(self, org_id: UUID, user_id: UUID, role_uuid: str) -> None:
        self.org_id = org_id
        self.user_id = user_id
        self.role_uuid = role_uuid
        self.active = True

    @classmethod
    def create_id(cls, org_id: UUID, user_id: UUID, role_uuid: str) -> UUID:
        return membership_id(org_id, user_id)

    class UserRoleChanged(Aggregate.Event):
        role_uuid: str

    @event(UserRoleChanged)
    def _set_role(self, role_uuid: str) -> None:
        self.role_uuid = role_uuid

    def change_role(self, role_uuid: str) -> None:
        if not self.active:
            raise Conflict("User is not a member of this organization")
        if role_uuid != self.role_uuid:
            self._set_role(role_uuid)

    class UserRejoinedOrg(Aggregate.Event):
        role_uuid: str

    @event(UserRejoinedOrg)
    def _rejoin(self, role_uuid: str) -> None:
        self.active = True
        self.role_uuid = role_uuid

    def rejoin(self, role_uuid: str) -> None:
        if self.active:
            raise Conflict("User is already a member of this organization")
        self._rejoin(role_uuid)

    class UserRemovedFromOrg(Aggregate.Event):
        pass

    @event(UserRemovedFromOrg)
    def _remove(self) -> None:
        self.active = False

    def remove(self) -> None:
        if self.active:
            self._remove()

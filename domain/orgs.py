"""The organization aggregate: a tenant."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.editing import real_changes
from domain.errors import Gone, InvalidInput, RuleBroken

#: LearnHouse's org signup mechanisms: anyone may sign up, or only with an invite code
SIGNUP_MODES = ("open", "inviteOnly")


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
        # Who holds the Admin role: kept here (not only in memberships) so that "an org keeps
        # at least one admin" is decided under this aggregate's optimistic concurrency, and two
        # admins demoting each other at once cannot both succeed.
        self.admins: list[UUID] = []
        self.signup_mode = "open"

    class OrgUpdated(Aggregate.Event):
        changes: dict[str, Any]

    @event(OrgUpdated)
    def _apply_update(self, changes: dict[str, Any]) -> None:
        for key, value in changes.items():
            setattr(self, key, value)

    def update(self, changes: dict[str, Any]) -> None:
        self.ensure_alive()
        real = real_changes(self, changes)
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

    class OrgSignupModeChanged(Aggregate.Event):
        signup_mode: str

    @event(OrgSignupModeChanged)
    def _set_signup_mode(self, signup_mode: str) -> None:
        self.signup_mode = signup_mode

    def change_signup_mode(self, signup_mode: str) -> None:
        self.ensure_alive()
        if signup_mode not in SIGNUP_MODES:
            raise InvalidInput(
                f"signup_mechanism must be one of {', '.join(SIGNUP_MODES)}", field="signup_mechanism"
            )
        if signup_mode != self.signup_mode:
            self._set_signup_mode(signup_mode)

    class OrgAdminAppointed(Aggregate.Event):
        user_id: UUID

    @event(OrgAdminAppointed)
    def _appoint(self, user_id: UUID) -> None:
        self.admins.append(user_id)

    def appoint_admin(self, user_id: UUID) -> None:
        if user_id not in self.admins:
            self._appoint(user_id)

    class OrgAdminDismissed(Aggregate.Event):
        user_id: UUID

    @event(OrgAdminDismissed)
    def _dismiss(self, user_id: UUID) -> None:
        self.admins.remove(user_id)

    def dismiss_admin(self, user_id: UUID) -> None:
        if user_id not in self.admins:
            return
        if len(self.admins) <= 1:
            raise RuleBroken("Organization must have at least one admin", code="LAST_ADMIN")
        self._dismiss(user_id)

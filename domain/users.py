"""The user aggregate: an account that can sign in with a password (or GitHub later)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.editing import real_changes
from domain.errors import Gone


class User(Aggregate):
    class UserRegistered(Aggregate.Created):
        email: str
        username: str
        first_name: str
        last_name: str
        password_hash: str
        avatar_image: str

    @event(UserRegistered)
    def __init__(
        self,
        email: str,
        username: str,
        first_name: str,
        last_name: str,
        password_hash: str,
        avatar_image: str = "",
    ) -> None:
        self.email = email
        self.username = username
        self.first_name = first_name
        self.last_name = last_name
        self.password_hash = password_hash
        self.avatar_image = avatar_image
        self.bio = ""
        self.revoked_sessions: list[str] = []
        self.erased = False

    class UserProfileUpdated(Aggregate.Event):
        changes: dict[str, Any]

    @event(UserProfileUpdated)
    def _apply_profile(self, changes: dict[str, Any]) -> None:
        for key, value in changes.items():
            setattr(self, key, value)

    def update_profile(self, changes: dict[str, Any]) -> None:
        self.ensure_not_erased()
        real = real_changes(self, changes)
        if real:
            self._apply_profile(real)

    class UserPasswordChanged(Aggregate.Event):
        password_hash: str

    def change_password(self, password_hash: str) -> None:
        self.ensure_not_erased()
        self._set_password(password_hash)

    @event(UserPasswordChanged)
    def _set_password(self, password_hash: str) -> None:
        self.password_hash = password_hash

    class UserSessionRevoked(Aggregate.Event):
        session_id: str

    @event(UserSessionRevoked)
    def revoke_session(self, session_id: str) -> None:
        self.revoked_sessions.append(session_id)


    class UserErased(Aggregate.Event):
        """The person's key was destroyed: their personal fields read as placeholders from now
        on (``domain.personal_data``). Holds no personal data itself."""

        requested_by: UUID

    @event(UserErased)
    def _erase(self, requested_by: UUID) -> None:
        self.erased = True
        self.password_hash = ""

    def erase(self, requested_by: UUID) -> bool:
        """False when the user was erased already (nothing to record)."""
        if self.erased:
            return False
        self._erase(requested_by)
        return True

    def ensure_not_erased(self) -> None:
        if self.erased:
            raise Gone("This account has been erased", code="USER_ERASED")


def user_display_name(user_id: UUID, username: str) -> str:
    return username or str(user_id)[:8]

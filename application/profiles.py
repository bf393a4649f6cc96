"""A user's own profile and password (LearnHouse ``PUT /users/{user_id}`` and
``PUT /users/change_password/{user_id}``).

Only the user may change them: a user belongs to several orgs, and no org's admin may rewrite
what the others see, nor take over the account by changing its email or password.
"""

from __future__ import annotations

import re
import time
from typing import Any
from uuid import UUID

import msgspec

from application.accounts import IDENTITY, check_password, normalise_email
from application.authorization import Authorization, Principal
from application.ports import LoginThrottle, PasswordHasher
from application.views import UserView
from application.writer import Writer
from domain.claims import UniqueClaim
from domain.errors import Forbidden, InvalidInput, NotFound, RuleBroken, Unauthenticated
from domain.ids import claim_id
from domain.users import User
from projections.queries.identity import IdentityQueries, user_view

# The registration rule for usernames (``application.accounts``), applied to renames too.
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_TEXT_LIMITS = {"first_name": 100, "last_name": 100, "avatar_image": 500, "bio": 2000}


class ProfileUpdate(msgspec.Struct, kw_only=True):
    """LearnHouse's ``UserUpdate``; fields left out (or null) are kept. ``details`` and
    ``profile`` are accepted for compatibility and not stored."""

    username: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    avatar_image: str | None = None
    bio: str | None = None
    details: dict[str, Any] | None = None
    profile: dict[str, Any] | None = None


class PasswordChange(msgspec.Struct, kw_only=True):
    old_password: str
    new_password: str


class Profiles:
    def __init__(
        self,
        writer: Writer,
        identity: IdentityQueries,
        authz: Authorization,
        hasher: PasswordHasher,
        throttle: LoginThrottle,
    ) -> None:
        self._writer = writer
        self._identity = identity
        self._authz = authz
        self._hasher = hasher
        self._throttle = throttle

    def _own(self, principal: Principal, user_ref: str, what: str) -> dict[str, Any]:
        """The caller's own user row; any other user (or none) is refused alike."""
        me = self._authz.require_user(principal)
        row = self._identity.user_row_by_ref(user_ref)
        if row is None or row["user_uuid"] != str(me):
            raise Forbidden(f"You can only change your own {what}", code="NOT_YOUR_ACCOUNT")
        return row

    # -- profile --------------------------------------------------------------------------------
    def update_profile(self, principal: Principal, user_ref: str, command: ProfileUpdate) -> UserView:
        row = self._own(principal, user_ref, "profile")
        changes = self._checked(command)
        user_id = UUID(row["user_uuid"])

        def apply() -> None:
            user = self._writer.events.get(user_id, User)
            if user is None:
                raise NotFound("User not found")
            claims = self._swap_claims(user, changes)
            user.update_profile(changes)
            self._writer.save(user, *claims, read_models=IDENTITY)

        self._writer.retrying(apply)
        return self._view(user_id)

    def _checked(self, command: ProfileUpdate) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if command.email is not None:
            changes["email"] = normalise_email(command.email)
        if command.username is not None:
            username = command.username.strip()
            if not _USERNAME.match(username):
                raise InvalidInput(
                    "username may use letters, digits, '.', '_' and '-' (1-64)", field="username"
                )
            changes["username"] = username
        for field, limit in _TEXT_LIMITS.items():
            value = getattr(command, field)
            if value is None:
                continue
            if len(value) > limit:
                raise InvalidInput(f"{field} must be at most {limit} characters", field=field)
            changes[field] = value.strip() if field != "bio" else value
        return changes

    def _swap_claims(self, user: User, changes: dict[str, Any]) -> list[UniqueClaim]:
        """Claims for a new email or username (and the old ones released), so uniqueness holds
        under the store's concurrency as it does at registration."""
        out: list[UniqueClaim] = []
        for kind, taken in (("email", "Email already exists"), ("username", "Username already exists")):
            if kind not in changes:
                continue
            new, old = str(changes[kind]).lower(), str(getattr(user, kind)).lower()
            if new == old:
                continue
            claim = self._writer.events.get(claim_id(kind, new), UniqueClaim)
            if claim is None:
                claim = UniqueClaim(kind=kind, value=new, owner_id=user.id)
            elif claim.held and claim.owner_id != user.id:
                raise RuleBroken(taken, code=f"{kind.upper()}_TAKEN")
            else:
                claim.retake(owner_id=user.id)
            out.append(claim)
            previous = self._writer.events.get(claim_id(kind, old), UniqueClaim)
            if previous is not None and previous.owner_id == user.id:
                previous.release()
                out.append(previous)
        return out

    # -- password -----------------------------------------------------------------------------
    def change_password(
        self, principal: Principal, user_ref: str, command: PasswordChange
    ) -> UserView:
        """Needs the current password, and counts wrong ones as failed sign-ins (so a stolen
        session cannot be used to guess the password faster than the login form allows)."""
        row = self._own(principal, user_ref, "password")
        account, address = str(row["email"]).lower(), principal.ip
        self._throttle.check(account, address)
        if not self._hasher.verify(row["password_hash"], command.old_password):
            hold = self._throttle.failed(account, address)
            if hold > 0:
                time.sleep(hold)  # in a worker thread; bounded by the throttle
            raise Unauthenticated("Wrong password", code="WRONG_PASSWORD")
        check_password(command.new_password)
        password_hash = self._hasher.hash(command.new_password)
        user_id = UUID(row["user_uuid"])

        def apply() -> None:
            user = self._writer.events.get(user_id, User)
            if user is None:
                raise NotFound("User not found")
            user.change_password(password_hash)
            self._writer.save(user, read_models=IDENTITY)

        self._writer.retrying(apply)
        self._throttle.succeeded(account, address)
        return self._view(user_id)

    def _view(self, user_id: UUID) -> UserView:
        row = self._identity.user_row(str(user_id))
        if row is None:
            raise NotFound("User not found")
        return user_view(row)

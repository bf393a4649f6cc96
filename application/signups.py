"""LearnHouse signup into an org: a new account that joins the org as a User.

An ``inviteOnly`` org refuses plain signups; a signup with an invite code counts one use of
the code in the same atomic save as the account and its membership, so a code limited to N
uses admits N people even when they race.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from application.accounts import Accounts, NewAccount
from application.invites import Digester, code_digest, plausible_code, utc_now
from application.views import UserView
from application.writer import Writer
from domain.claims import UniqueClaim
from domain.errors import Conflict, Forbidden, RuleBroken
from domain.invites import INVITE_INCORRECT, InviteCode
from domain.memberships import Membership
from domain.rights import USER_ROLE
from domain.users import User
from projections.queries.identity import IdentityQueries
from projections.queries.invites import InviteQueries

SIGNUP_READ_MODELS = ("identity", "org_invites")
INVITE_REQUIRED = "You need an invite to join this organization"
_TAKEN = {"email": ("Email already exists", "EMAIL_TAKEN"),
          "username": ("Username already exists", "USERNAME_TAKEN")}


class Signups:
    def __init__(
        self,
        writer: Writer,
        identity: IdentityQueries,
        accounts: Accounts,
        invites: InviteQueries,
        digester: Digester,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._writer = writer
        self._identity = identity
        self._accounts = accounts
        self._invites = invites
        self._digester = digester
        self._now = now

    def sign_up(self, org_ref: str | int, account: NewAccount) -> UserView:
        org_uuid = self._org(org_ref)
        if self._invites.signup_mode(org_uuid) == "inviteOnly":
            raise Forbidden(INVITE_REQUIRED, code="INVITE_REQUIRED")
        return self._join(org_uuid, account, None)

    def sign_up_with_invite(self, org_ref: str | int, code: str, account: NewAccount) -> UserView:
        org_uuid = self._org(org_ref)
        if self._invites.signup_mode(org_uuid) != "inviteOnly":
            raise Forbidden(
                "This organization does not require an invite code", code="INVITE_NOT_REQUIRED"
            )
        row = None
        if plausible_code(code):
            row = self._invites.by_digest(org_uuid, code_digest(self._digester, org_uuid, code))
        if row is None:
            raise Forbidden(INVITE_INCORRECT, code="INVITE_INVALID")
        return self._join(org_uuid, account, UUID(row["invite_uuid"]))

    def _org(self, org_ref: str | int) -> str:
        row = self._identity.org_row(org_ref)
        if row is None:
            raise RuleBroken("Organization does not exist")
        return str(row["org_uuid"])

    def _join(self, org_uuid: str, account: NewAccount, invite_id: UUID | None) -> UserView:
        for _ in range(5):
            invite = None
            if invite_id is not None:
                invite = self._writer.events.get(invite_id, InviteCode)
                if invite is None:
                    raise Forbidden(INVITE_INCORRECT, code="INVITE_INVALID")
                invite.check_redeemable(self._now())
            user, claims = self._new_user(account)
            if invite is not None:
                invite.redeem(user.id, self._now())
            membership = Membership(org_id=UUID(org_uuid), user_id=user.id, role_uuid=USER_ROLE)
            try:
                self._writer.save(user, *claims, membership, invite, read_models=SIGNUP_READ_MODELS)
            except IntegrityError:
                self._check_claims(user)  # raises if the email or username was taken meanwhile
                continue  # the invite code was redeemed meanwhile: decide again
            return self._accounts.user_view(user.id)
        raise Conflict("The invite code was used concurrently, please retry")

    def _new_user(self, account: NewAccount) -> tuple[User, list[UniqueClaim]]:
        try:
            user, fresh = self._accounts.new_user(account)
        except Conflict as conflict:
            kind = "email" if conflict.code == "EMAIL_TAKEN" else "username"
            raise RuleBroken(*_TAKEN[kind]) from None
        return user, [self._claim(claim, user.id) for claim in fresh]

    def _claim(self, fresh: UniqueClaim, owner: UUID) -> UniqueClaim:
        """A value given up earlier (an email changed on a profile) is taken over, not
        claimed anew: its claim already exists, released."""
        existing = self._writer.events.get(fresh.id, UniqueClaim)
        if existing is None:
            return fresh
        if existing.held:
            raise RuleBroken(*_TAKEN.get(existing.kind, _TAKEN["username"]))
        existing.retake(owner_id=owner)
        return existing

    def _check_claims(self, user: User) -> None:
        for kind, value in (("email", user.email), ("username", user.username.lower())):
            claim = self._writer.events.get(UniqueClaim.create_id(kind, value, user.id), UniqueClaim)
            if claim is not None and claim.held and claim.owner_id != user.id:
                raise RuleBroken(*_TAKEN[kind])

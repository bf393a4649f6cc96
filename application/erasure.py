"""Erasure of a person (GDPR art. 17) by crypto-shredding: ``DELETE /api/v1/users/{user_id}``.

Who may erase: the person themself, or an admin of an organization the person belongs to; never
someone who shares no organization with them (answered as if the user did not exist), and never
an admin of an organization where the caller is not admin.

What happens, in this order:
1. One atomic save records ``UserErased`` (no personal data in it), releases the person's email
   and username claims (so both can be registered again) and takes them off every org's admin
   roster (their membership stays, as a plain User, so lists still show "Erased user"). The last
   admin of an org is refused (409 ``LAST_ADMIN``): appoint another admin first.
2. Their personal-data key is destroyed (a tombstone): every personal field of every event
   about them reads as its placeholder from then on, in every read model rebuilt and every
   export. If this process dies between 1 and 2, the first reader of ``UserErased`` destroys it
   (``infrastructure.personal_data_codec``).
3. The data keys of all their assessment sessions are destroyed (answers and evidence become
   unreadable), and their own model key is removed.

Sessions end with step 1 (the identity read model refuses an erased user's sessions). API
tokens they created stay: they are the org's credentials, managed by its admins, and their
creator now reads as "Erased user". Erasing an erased user again repeats steps 2 and 3 only.
"""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

from application.authorization import Authorization, Principal
from application.writer import Writer
from domain.claims import UniqueClaim
from domain.errors import Conflict, Forbidden, NotFound
from domain.ids import claim_id, membership_id
from domain.memberships import Membership
from domain.orgs import Org
from domain.rights import ADMIN_ROLE, USER_ROLE
from domain.users import User
from projections.queries.identity import IdentityQueries

#: the response's read models: the person's row, and the sessions whose keys are destroyed
READ_MODELS = ("identity", "assessments")
USER_NOT_FOUND = "User not found"
LAST_ADMIN = "You can't erase the last admin of an organization: appoint another admin first"


class PersonalKeys(Protocol):
    def erase(self, subject: UUID | str) -> None: ...


class SessionKeys(Protocol):
    def destroy(self, session_id: str) -> bool: ...


class UserSessions(Protocol):
    def of_user(self, user_uuid: str, limit: int, offset: int) -> list[dict[str, Any]]: ...


class ModelKeyRemover(Protocol):
    def remove(self, user_id: UUID) -> None: ...


class Erasures:
    def __init__(
        self,
        writer: Writer,
        identity: IdentityQueries,
        authz: Authorization,
        keys: PersonalKeys,
        sessions: UserSessions,
        session_keys: SessionKeys,
        model_keys: ModelKeyRemover,
    ) -> None:
        self._writer = writer
        self._identity = identity
        self._authz = authz
        self._keys = keys
        self._sessions = sessions
        self._session_keys = session_keys
        self._model_keys = model_keys

    def erase(self, principal: Principal, user_ref: str) -> None:
        caller = self._authz.require_user(principal)
        row = self._identity.user_row_by_ref(user_ref)
        if row is None:
            raise NotFound(USER_NOT_FOUND)
        target = UUID(row["user_uuid"])
        if target != caller:
            self._require_admin_over(caller, target)
        self._writer.retrying(lambda: self._record(caller, target))
        self._keys.erase(target)
        self._shred_sessions(target)
        self._model_keys.remove(target)

    def _require_admin_over(self, caller: UUID, target: UUID) -> None:
        theirs = [o.org_uuid.removeprefix("org_") for o in self._identity.orgs_of_user(str(target))]
        roles = {org: self._role(org, caller) for org in theirs}
        administered = {org for org, role in roles.items() if role == ADMIN_ROLE}
        if not administered:
            if any(role is not None for role in roles.values()):
                raise Forbidden("Only an admin of the user's organization can erase them")
            raise NotFound(USER_NOT_FOUND)  # no org in common: not the caller's to know about
        for org in theirs:
            if org not in administered and self._role(org, target) == ADMIN_ROLE:
                raise Forbidden("You cannot erase an admin of an organization you do not administer")

    def _role(self, org_uuid: str, user: UUID) -> str | None:
        membership = self._identity.membership(org_uuid, str(user))
        return None if membership is None else str(membership["role_uuid"])

    def _record(self, caller: UUID, target: UUID) -> None:
        user = self._writer.events.get(target, User)
        if user is None:
            raise NotFound(USER_NOT_FOUND)
        if user.erased:
            return
        # Read before the erasure: afterwards these values are placeholders.
        claims = self._released_claims(user)
        demoted = self._demoted(target)
        user.erase(requested_by=caller)
        self._writer.save(user, *claims, *demoted, read_models=READ_MODELS)

    def _released_claims(self, user: User) -> list[UniqueClaim]:
        out = []
        for kind, value in (("email", user.email), ("username", user.username.lower())):
            claim = self._writer.events.get(claim_id(kind, value), UniqueClaim)
            if claim is not None and claim.owner_id == user.id:
                claim.release()
                out.append(claim)
        return out

    def _demoted(self, target: UUID) -> list[Org | Membership]:
        """Every membership becomes a plain User's, and no org counts them as an admin: an
        account nobody can sign in to must not be what keeps an org administered."""
        out: list[Org | Membership] = []
        for view in self._identity.orgs_of_user(str(target)):
            org = self._writer.events.get(UUID(view.org_uuid.removeprefix("org_")), Org)
            if org is None or org.deleted:
                continue
            if target in org.admins:
                if len(org.admins) <= 1:
                    raise Conflict(LAST_ADMIN, code="LAST_ADMIN")
                org.dismiss_admin(target)
                out.append(org)
            membership = self._writer.events.get(membership_id(org.id, target), Membership)
            if membership is not None and membership.active and membership.role_uuid != USER_ROLE:
                membership.change_role(USER_ROLE)
                out.append(membership)
        return out

    def _shred_sessions(self, target: UUID) -> None:
        page = 200
        offset = 0
        while True:
            rows = self._sessions.of_user(str(target), page, offset)
            for row in rows:
                self._session_keys.destroy(str(row["session_id"]))
            if len(rows) < page:
                return
            offset += page

"""Who is calling, and what they may do. Every application service asks here, so the API, the
CLI and workers share one rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.errors import Forbidden, Unauthenticated
from domain.rights import Action, Rights, allows
from projections.queries.catalog import CourseVisibility
from projections.queries.identity import IdentityQueries

FORBIDDEN = "User rights (roles & authorship) : You don't have the right to perform this action"
NOT_SIGNED_IN = "You should be logged in to perform this action"
TOKEN_OTHER_ORG = "API token cannot access resources outside its organization"  # noqa: S105 (a message)
TOKEN_NOT_ALLOWED = "API tokens are not allowed on this route"  # noqa: S105 (a message)


@dataclass(frozen=True)
class TokenGrant:
    """An API token acting for one org with its own rights (see the tokens issue)."""

    token_uuid: str
    org_uuid: str
    rights: Rights
    creator_uuid: str


@dataclass(frozen=True)
class Principal:
    user_id: UUID | None = None
    session_id: str | None = None
    token: TokenGrant | None = None
    ip: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None and self.token is None

    @property
    def user_uuid(self) -> str | None:
        return str(self.user_id) if self.user_id else None


ANONYMOUS = Principal()


class Authorization:
    def __init__(self, identity: IdentityQueries) -> None:
        self._identity = identity

    def require_user(self, principal: Principal) -> UUID:
        """A signed-in user (API tokens are refused where a user session is required)."""
        if principal.token is not None:
            raise Forbidden(TOKEN_NOT_ALLOWED, code="TOKEN_NOT_ALLOWED")
        if principal.user_id is None:
            raise Unauthenticated("Authentication required")
        return principal.user_id

    def require_token_org(self, principal: Principal, org_uuid: str) -> None:
        """An API token reaches its own org only."""
        if principal.token is not None and principal.token.org_uuid != org_uuid:
            raise Forbidden(TOKEN_OTHER_ORG, code="TOKEN_WRONG_ORG")

    def rights_in(self, principal: Principal, org_uuid: str) -> Rights | None:
        if principal.token is not None:
            # A token never reaches another org's data, not even what anonymous callers see.
            self.require_token_org(principal, org_uuid)
            return principal.token.rights
        if principal.user_id is None:
            return None
        membership = self._identity.membership(org_uuid, str(principal.user_id))
        if membership is None:
            return None
        return self._identity.role_rights(membership["role_uuid"], org_uuid)

    def is_member(self, principal: Principal, org_uuid: str) -> bool:
        return self.rights_in(principal, org_uuid) is not None

    def can(
        self,
        principal: Principal,
        org_uuid: str,
        resource: str,
        action: Action,
        *,
        owner_uuid: str | None = None,
    ) -> bool:
        rights = self.rights_in(principal, org_uuid)
        if rights is None:
            return False
        acting = principal.token.creator_uuid if principal.token else principal.user_uuid
        owner = owner_uuid is not None and owner_uuid == acting
        return allows(rights, resource, action, owner=owner)

    def require(
        self,
        principal: Principal,
        org_uuid: str,
        resource: str,
        action: Action,
        *,
        owner_uuid: str | None = None,
    ) -> None:
        if principal.is_anonymous:
            raise Unauthenticated(NOT_SIGNED_IN)
        if not self.can(principal, org_uuid, resource, action, owner_uuid=owner_uuid):
            if principal.token is not None:
                raise Forbidden(
                    f"API token does not have '{action}' permission for {resource}",
                    code="TOKEN_RIGHT_MISSING",
                )
            raise Forbidden(FORBIDDEN)

    def course_visibility(self, principal: Principal, org_uuid: str) -> CourseVisibility:
        rights = self.rights_in(principal, org_uuid)
        if rights is None:
            return CourseVisibility()
        if principal.token is not None and not (
            allows(rights, "courses", "read") or allows(rights, "courses", "read", owner=True)
        ):
            raise Forbidden(
                "API token does not have 'read' permission for courses", code="TOKEN_RIGHT_MISSING"
            )
        editor = allows(rights, "courses", "update") or (
            principal.token is not None and allows(rights, "courses", "read")
        )
        acting = principal.token.creator_uuid if principal.token else principal.user_uuid
        return CourseVisibility(everything=editor, member=True, author_uuid=acting)

    def require_token_right(
        self, principal: Principal, org_uuid: str, resource: str, action: Action
    ) -> None:
        """For API tokens only: a right no user role carries (``search``, ``trails``)."""
        if principal.token is None:
            return
        rights = self.rights_in(principal, org_uuid) or {}
        if not allows(rights, resource, action):
            raise Forbidden(
                f"API token does not have '{action}' permission for {resource}",
                code="TOKEN_RIGHT_MISSING",
            )

    # -- course content (chapters, activities): added with the content issue ----------------
    def can_edit_course_content(
        self, principal: Principal, course_row: dict[str, Any], resource: str, action: Action
    ) -> bool:
        """The content right (``coursechapters``/``activities``) AND the right to update that
        course: an Instructor's ``courses.action_update_own`` covers only courses they author."""
        org_uuid = str(course_row["org_uuid"])
        return self.can(principal, org_uuid, resource, action) and self.can(
            principal, org_uuid, "courses", "update", owner_uuid=course_row["author_uuid"]
        )

    def require_course_content(
        self, principal: Principal, course_row: dict[str, Any], resource: str, action: Action
    ) -> None:
        if principal.is_anonymous:
            raise Unauthenticated(NOT_SIGNED_IN)
        if not self.can_edit_course_content(principal, course_row, resource, action):
            raise Forbidden(FORBIDDEN)

"""Organizations: tenants and their members (roles: ``application.org_roles``; signups:
``application.signups``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from uuid import UUID

import msgspec

from application.accounts import IDENTITY
from application.authorization import Authorization, Principal
from application.paging import page_of
from application.views import MemberPage, OrgView
from application.writer import Writer
from domain.claims import UniqueClaim
from domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RuleBroken,
    Unauthenticated,
)
from domain.ids import claim_id, membership_id
from domain.memberships import Membership
from domain.orgs import Org
from domain.rights import ADMIN_ROLE, exceeds
from projections.queries.identity import IdentityQueries, org_view

ORG_NOT_FOUND = "Organization not found"
LOGIN_FIRST = "You should be logged in to be able to achieve this action"
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
ORG_READ_MODELS = ("identity", "catalog")


class OrgCreate(msgspec.Struct, kw_only=True):
    name: str
    slug: str
    email: str = ""
    description: str = ""


def check_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if not SLUG.match(slug):
        raise InvalidInput(
            "slug must be 1-64 lowercase letters, digits or '-' (not at the ends)", field="slug"
        )
    return slug


class Organizations:
    def __init__(
        self,
        writer: Writer,
        identity: IdentityQueries,
        authz: Authorization,
        signup_mode: Callable[[str], str],
    ) -> None:
        self._writer = writer
        self._identity = identity
        self._authz = authz
        self._signup_mode = signup_mode

    # -- lookups ------------------------------------------------------------------------
    def org_uuid(self, ref: str | int) -> str:
        row = self._identity.org_row(ref)
        if row is None:
            raise NotFound(ORG_NOT_FOUND)
        return str(row["org_uuid"])

    def org_uuid_by_slug(self, slug: str) -> str:
        row = self._identity.org_by_slug(slug)
        if row is None:
            raise NotFound(ORG_NOT_FOUND)
        return str(row["org_uuid"])

    def get(self, ref: str | int) -> OrgView:
        row = self._identity.org_row(ref)
        if row is None:
            raise NotFound(ORG_NOT_FOUND)
        return self._with_config(row)

    def get_by_slug(self, slug: str) -> OrgView:
        row = self._identity.org_by_slug(slug)
        if row is None:
            raise NotFound(ORG_NOT_FOUND)
        return self._with_config(row)

    def _with_config(self, row: dict[str, Any]) -> OrgView:
        """The org with the part of LearnHouse's org config that learnstream keeps: where a
        LearnHouse client reads whether signing up needs an invite code."""
        view = org_view(row)
        mode = self._signup_mode(str(row["org_uuid"]))
        view.config = {
            "org_id": view.id,
            "config": {"config_version": "2.0", "admin_toggles": {"members": {"signup_mode": mode}}},
        }
        return view

    # -- commands -----------------------------------------------------------------------
    def create(self, principal: Principal, command: OrgCreate) -> OrgView:
        return self.found(command, admin_id=self._require_user(principal))

    def _require_user(self, principal: Principal) -> UUID:
        if principal.is_anonymous:
            raise Unauthenticated(LOGIN_FIRST)
        return self._authz.require_user(principal)

    def found(self, command: OrgCreate, admin_id: UUID | None) -> OrgView:
        """Create an org (and its first admin's membership) — also used by bootstrap."""
        from eventsourcing.persistence import IntegrityError

        name = command.name.strip()
        if not name:
            raise InvalidInput("name must not be empty", field="name")
        slug = check_slug(command.slug)
        if self._identity.org_by_slug(slug) is not None:
            raise Conflict("Organization already exists", code="ORG_EXISTS")
        org = Org(
            name=name,
            slug=slug,
            description=command.description,
            email=command.email,
            creator_id=admin_id,
        )
        claim = self._claim_slug(slug, org.id)
        membership = None
        if admin_id is not None:
            membership = Membership(org_id=org.id, user_id=admin_id, role_uuid=ADMIN_ROLE)
            org.appoint_admin(admin_id)
        try:
            self._writer.save(org, claim, membership, read_models=ORG_READ_MODELS)
        except IntegrityError:
            raise Conflict("Organization already exists", code="ORG_EXISTS") from None
        return self.get(str(org.id))

    def _claim_slug(self, slug: str, owner: UUID) -> UniqueClaim:
        existing = self._writer.events.get(claim_id("slug", slug), UniqueClaim)
        if existing is None:
            return UniqueClaim(kind="slug", value=slug, owner_id=owner)
        if existing.held:
            raise Conflict("Organization already exists", code="ORG_EXISTS")
        existing.retake(owner_id=owner)
        return existing

    def update(self, principal: Principal, ref: str | int, changes: dict[str, Any]) -> OrgView:
        self._require_user(principal)
        row = self._identity.org_row(ref)
        if row is None:
            raise NotFound("Organization slug not found")  # sic: LearnHouse's text for an id
        org_uuid = str(row["org_uuid"])
        self._authz.require(principal, org_uuid, "organizations", "update")
        allowed = {"name", "description", "email", "slug", "logo_image"}
        changes = {k: v for k, v in changes.items() if k in allowed and v is not None}
        if "name" in changes:
            changes["name"] = str(changes["name"]).strip()
            if not changes["name"]:
                raise InvalidInput("name must not be empty", field="name")
        if "slug" in changes:
            changes["slug"] = check_slug(str(changes["slug"]))

        def apply() -> None:
            org = self._load(org_uuid)
            extra: list[UniqueClaim] = []
            if "slug" in changes and changes["slug"] != org.slug:
                if self._identity.org_by_slug(changes["slug"]) is not None:
                    raise Conflict("Organization slug already exists", code="SLUG_TAKEN")
                old = self._writer.events.get(claim_id("slug", org.slug), UniqueClaim)
                if old is not None:
                    old.release()
                    extra.append(old)
                extra.append(self._claim_slug(changes["slug"], org.id))
            org.update(changes)
            self._writer.save(org, *extra, read_models=ORG_READ_MODELS)

        self._writer.retrying(apply)
        return self.get(org_uuid)

    def delete(self, principal: Principal, ref: str | int) -> OrgView:
        self._require_user(principal)
        org_uuid = self.org_uuid(ref)
        self._authz.require(principal, org_uuid, "organizations", "delete")
        view = self.get(org_uuid)

        def apply() -> None:
            org = self._load(org_uuid)
            org.delete()
            claim = self._writer.events.get(claim_id("slug", org.slug), UniqueClaim)
            if claim is not None and claim.held:
                claim.release()
            self._writer.save(org, claim, read_models=ORG_READ_MODELS)

        self._writer.retrying(apply)
        return view

    def _load(self, org_uuid: str) -> Org:
        org = self._writer.events.get(UUID(org_uuid), Org)
        if org is None or org.deleted:
            raise NotFound(ORG_NOT_FOUND)
        return org

    # -- members ------------------------------------------------------------------------
    def members(self, principal: Principal, ref: str | int, page: int, limit: int) -> MemberPage:
        self._authz.require_user(principal)
        org_uuid = self.org_uuid(ref)
        if not self._authz.is_member(principal, org_uuid):
            raise Forbidden("You must be a member of this organization to view its members")
        window = page_of(page, limit, 100)
        return self._identity.members(org_uuid, window.number, window.limit)

    def join(self, org_uuid: str, user_id: UUID, role_uuid: str) -> None:
        """Add an existing user to an org (bootstrap, invitations)."""

        def apply() -> None:
            org = self._load(org_uuid)
            existing = self._writer.events.get(membership_id(UUID(org_uuid), user_id), Membership)
            if existing is None:
                existing = Membership(org_id=UUID(org_uuid), user_id=user_id, role_uuid=role_uuid)
            elif not existing.active:
                existing.rejoin(role_uuid)
            elif existing.role_uuid != role_uuid:
                existing.change_role(role_uuid)
            self._sync_admins(org, user_id, role_uuid)
            self._writer.save(existing, org, read_models=IDENTITY)

        self._writer.retrying(apply)

    def change_role(
        self, principal: Principal, ref: str | int, user_ref: str, role_uuid: str
    ) -> None:
        self._authz.require_user(principal)
        org_uuid = self.org_uuid(ref)
        self._authz.require(principal, org_uuid, "roles", "update")
        target = self._identity.role_rights(role_uuid, org_uuid)
        if target is None:
            raise NotFound("Role not found")
        user = self._identity.user_row_by_ref(user_ref)
        if user is None:
            raise NotFound("User not found")
        member_id = membership_id(UUID(org_uuid), UUID(user["user_uuid"]))
        held = self._authz.rights_in(principal, org_uuid) or {}
        # Without this, any role allowed to update roles could make its holder an Admin.
        beyond = exceeds(target, held)
        if beyond is not None:
            raise Forbidden(f"You cannot give a role with the right {beyond} that you do not hold")

        def apply() -> None:
            membership = self._writer.events.get(member_id, Membership)
            if membership is None or not membership.active:
                raise NotFound("User not found")
            current = self._identity.role_rights(membership.role_uuid, org_uuid) or {}
            if exceeds(current, held) is not None:
                raise Forbidden("You cannot change the role of a member who holds rights you do not")
            org = self._load(org_uuid)
            self._sync_admins(org, membership.user_id, role_uuid)
            membership.change_role(role_uuid)
            self._writer.save(membership, org, read_models=IDENTITY)

        self._writer.retrying(apply)

    def remove_member(self, principal: Principal, ref: str | int, user_ref: str) -> None:
        """LearnHouse ``DELETE /orgs/{org_id}/users/{user_id}``: needs ``users.action_delete``
        in the org; never the last admin, nor a member who holds rights the caller does not."""
        self._authz.require_user(principal)
        org_uuid = self.org_uuid(ref)
        self._authz.require(principal, org_uuid, "users", "delete")
        user = self._identity.user_row_by_ref(user_ref)
        if user is None:
            raise NotFound("User not found")
        member_id = membership_id(UUID(org_uuid), UUID(user["user_uuid"]))
        held = self._authz.rights_in(principal, org_uuid) or {}

        def apply() -> None:
            membership = self._writer.events.get(member_id, Membership)
            if membership is None or not membership.active:
                raise NotFound("User not found")
            current = self._identity.role_rights(membership.role_uuid, org_uuid) or {}
            if exceeds(current, held) is not None:
                raise Forbidden("You cannot remove a member who holds rights you do not")
            org = self._load(org_uuid)
            if membership.user_id in org.admins:
                if len(org.admins) <= 1:
                    raise RuleBroken(
                        "You can't remove the last admin of the organization", code="LAST_ADMIN"
                    )
                org.dismiss_admin(membership.user_id)
            membership.remove()
            self._writer.save(membership, org, read_models=IDENTITY)

        self._writer.retrying(apply)

    @staticmethod
    def _sync_admins(org: Org, user_id: UUID, role_uuid: str) -> None:
        """Keep the org's admin roster in step with a member's new role (refuses to remove
        the last admin; a concurrent change of the roster makes the save conflict and retry)."""
        if role_uuid == ADMIN_ROLE:
            org.appoint_admin(user_id)
        else:
            org.dismiss_admin(user_id)

"""Roles of an org: the four built-in roles (read only) and the org's custom roles.

A custom role is read by the org's members, and changed or deleted with the ``roles`` rights
of that org. Nobody may grant rights they do not hold, nor change a role that holds rights
they do not: otherwise any role allowed to edit roles could raise itself to Admin.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import msgspec

from application.accounts import IDENTITY
from application.authorization import Authorization, Principal
from application.organizations import Organizations
from application.views import RoleView
from application.writer import Writer
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleBroken
from domain.ids import numeric_id
from domain.rights import BUILTIN_ROLES, Action, Rights, exceeds, normalise_rights
from domain.roles import Role
from projections.queries.identity import IdentityQueries, builtin_role_view
from projections.queries.roles import RoleQueries

ROLE_NOT_FOUND = "Role not found"
BAD_ROLE_ID = "Invalid role ID format. Role ID must be a number."
_BUILTIN_BY_ID = {entry[0]: uuid for uuid, entry in BUILTIN_ROLES.items()}
_BUILTIN_NAMES = {entry[1] for entry in BUILTIN_ROLES.values()}


class RoleCreate(msgspec.Struct, kw_only=True):
    name: str
    description: str = ""
    rights: dict[str, Any] = msgspec.field(default_factory=dict)


class RoleUpdate(msgspec.Struct, kw_only=True):
    """LearnHouse's ``RoleUpdate``: every field optional; ``role_id`` is taken from the path."""

    role_id: int | str | None = None
    name: str | None = None
    description: str | None = None
    rights: dict[str, Any] | None = None


def _builtin(ref: str) -> str | None:
    number = numeric_id(ref)
    if number is not None:
        return _BUILTIN_BY_ID.get(number)
    return ref if ref in BUILTIN_ROLES else None


def _role_id(role_uuid: str) -> UUID:
    return UUID(role_uuid.removeprefix("role_"))


class OrgRoles:
    def __init__(
        self,
        writer: Writer,
        identity: IdentityQueries,
        authz: Authorization,
        orgs: Organizations,
        roles: RoleQueries,
    ) -> None:
        self._writer = writer
        self._identity = identity
        self._authz = authz
        self._orgs = orgs
        self._roles = roles

    # -- per org --------------------------------------------------------------------------
    def roles(self, principal: Principal, ref: str | int) -> list[RoleView]:
        self._authz.require_user(principal)
        org_uuid = self._orgs.org_uuid(ref)
        if not self._authz.is_member(principal, org_uuid):
            raise Forbidden("You are not a member of this organization")
        return self._identity.roles_of_org(org_uuid)

    def create_role(self, principal: Principal, ref: str | int, command: RoleCreate) -> RoleView:
        self._authz.require_user(principal)
        org_uuid = self._orgs.org_uuid(ref)
        self._authz.require(principal, org_uuid, "roles", "create")
        name = self._checked_name(command.name)
        rights = self._grantable(principal, org_uuid, command.rights)
        role = Role(org_id=UUID(org_uuid), name=name, description=command.description, rights=rights)
        self._writer.save(role, read_models=IDENTITY)
        return self._view(f"role_{role.id}", org_uuid)

    # -- one role ---------------------------------------------------------------------------
    def get_role(self, principal: Principal, ref: str) -> RoleView:
        self._authz.require_user(principal)
        builtin = _builtin(ref)
        if builtin is not None:
            return builtin_role_view(builtin)
        role_uuid, org_uuid, _ = self._custom(principal, ref)
        return self._view(role_uuid, org_uuid)

    def update_role(self, principal: Principal, ref: str, command: RoleUpdate) -> RoleView:
        role_uuid, org_uuid, _ = self._changeable(principal, ref, "update")
        name = None if command.name is None else self._checked_name(command.name)
        rights = None if command.rights is None else self._grantable(principal, org_uuid, command.rights)

        def apply() -> None:
            role = self._load(role_uuid)
            role.update(
                name if name is not None else role.name,
                command.description if command.description is not None else role.description,
                rights if rights is not None else role.rights,
            )
            self._writer.save(role, read_models=IDENTITY)

        self._writer.retrying(apply)
        return self._view(role_uuid, org_uuid)

    def delete_role(self, principal: Principal, ref: str) -> None:
        role_uuid, org_uuid, _ = self._changeable(principal, ref, "delete")
        holders = self._roles.holders(org_uuid, role_uuid)
        if holders:
            # A member whose role disappeared would hold no rights at all, not even a learner's.
            raise Conflict(
                f"This role is held by {holders} member(s); give them another role first",
                code="ROLE_IN_USE",
            )

        def apply() -> None:
            role = self._load(role_uuid)
            role.delete()
            self._writer.save(role, read_models=IDENTITY)

        self._writer.retrying(apply)

    # -- rules --------------------------------------------------------------------------------
    def _custom(self, principal: Principal, ref: str) -> tuple[str, str, Rights]:
        """A custom role the caller can see: another org's role reads as not found."""
        if numeric_id(ref) is None and not ref.startswith("role_"):
            raise RuleBroken(BAD_ROLE_ID, code="INVALID_ROLE_ID")
        row = self._roles.role_row(ref)
        if row is None or not self._authz.is_member(principal, str(row["org_uuid"])):
            raise NotFound(ROLE_NOT_FOUND)
        return str(row["role_uuid"]), str(row["org_uuid"]), json.loads(row["rights"])

    def _changeable(self, principal: Principal, ref: str, action: Action) -> tuple[str, str, Rights]:
        self._authz.require_user(principal)
        if _builtin(ref) is not None:
            raise RuleBroken("Built-in roles cannot be changed", code="BUILTIN_ROLE")
        role_uuid, org_uuid, current = self._custom(principal, ref)
        self._authz.require(principal, org_uuid, "roles", action)
        beyond = exceeds(current, self._authz.rights_in(principal, org_uuid) or {})
        if beyond is not None:
            raise Forbidden(f"You cannot change a role with the right {beyond} that you do not hold")
        return role_uuid, org_uuid, current

    def _grantable(self, principal: Principal, org_uuid: str, raw: dict[str, Any]) -> Rights:
        try:
            rights = normalise_rights(raw)
        except ValueError as error:
            raise InvalidInput(str(error), field="rights") from None
        beyond = exceeds(rights, self._authz.rights_in(principal, org_uuid) or {})
        if beyond is not None:
            raise Forbidden(f"You cannot grant the right {beyond} that you do not hold")
        return rights

    @staticmethod
    def _checked_name(raw: str) -> str:
        name = raw.strip()
        if not name:
            raise InvalidInput("name must not be empty", field="name")
        if name in _BUILTIN_NAMES:
            raise Conflict(f"A built-in role is already named {name}", code="ROLE_EXISTS")
        return name

    def _load(self, role_uuid: str) -> Role:
        role = self._writer.events.get(_role_id(role_uuid), Role)
        if role is None or role.deleted:
            raise NotFound(ROLE_NOT_FOUND)
        return role

    def _view(self, role_uuid: str, org_uuid: str) -> RoleView:
        view = self._identity.role(role_uuid, org_uuid)
        if view is None:
            raise NotFound(ROLE_NOT_FOUND)
        return view

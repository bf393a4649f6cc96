"""Roles of an organization: the four built-in ones plus custom roles."""

from __future__ import annotations

import msgspec
from litestar import Controller, MediaType, Response, delete, get, post, put

from api.params import RoleRef
from api.schemas import errors
from api.security import no_api_tokens
from application.authorization import Principal
from application.org_roles import OrgRoles, RoleCreate, RoleUpdate
from application.views import RoleView


class RoleController(Controller):
    path = "/api/v1/roles"
    tags = ["roles"]
    guards = [no_api_tokens]

    @get("/org/{org_id:str}", operation_id="list_org_roles", responses=errors(401, 403, 404), summary="Built-in and custom roles of an organization", sync_to_thread=False)
    def list_roles(self, org_roles: OrgRoles, principal: Principal, org_id: str) -> list[RoleView]:
        return org_roles.roles(principal, org_id)

    @post("/org/{org_id:str}", operation_id="create_org_role", responses=errors(400, 401, 403, 404, 409, 413, 422), summary="Create a custom role", sync_to_thread=True, status_code=200)
    def create_role(self, org_roles: OrgRoles, principal: Principal, org_id: str, data: RoleCreate) -> RoleView:
        return org_roles.create_role(principal, org_id, data)

    @get("/{role_id:str}", operation_id="get_role", summary="A role by numeric id or role_uuid", sync_to_thread=False, responses=errors(400, 401, 403, 404))
    def read(self, org_roles: OrgRoles, principal: Principal, role_id: RoleRef) -> RoleView:
        return org_roles.get_role(principal, role_id)

    @put("/{role_id:str}", operation_id="update_role", summary="Update a custom role (name, description, rights)", sync_to_thread=True, responses=errors(400, 401, 403, 404, 409, 413, 422))
    def change(self, org_roles: OrgRoles, principal: Principal, role_id: RoleRef, data: RoleUpdate) -> RoleView:
        return org_roles.update_role(principal, role_id, data)

    @delete("/{role_id:str}", operation_id="delete_role", summary="Delete a custom role no member holds", sync_to_thread=True, status_code=200, responses=errors(400, 401, 403, 404, 409))
    def remove(self, org_roles: OrgRoles, principal: Principal, role_id: RoleRef) -> Response[bytes]:
        org_roles.delete_role(principal, role_id)
        # LearnHouse answers with a bare JSON string.
        return Response(msgspec.json.encode("Role deleted"), media_type=MediaType.JSON)

"""Roles of an organization: the four built-in ones plus custom roles."""

from __future__ import annotations

from litestar import Controller, get, post

from api.security import no_api_tokens
from application.authorization import Principal
from application.organizations import Organizations, RoleCreate
from application.views import RoleView


class RoleController(Controller):
    path = "/api/v1/roles"
    tags = ["roles"]
    guards = [no_api_tokens]

    @get("/org/{org_id:str}", operation_id="list_org_roles", summary="Built-in and custom roles of an organization", sync_to_thread=False)
    def list_roles(self, orgs: Organizations, principal: Principal, org_id: str) -> list[RoleView]:
        return orgs.roles(principal, org_id)

    @post("/org/{org_id:str}", operation_id="create_org_role", summary="Create a custom role", sync_to_thread=True, status_code=200)
    def create_role(self, orgs: Organizations, principal: Principal, org_id: str, data: RoleCreate) -> RoleView:
        return orgs.create_role(principal, org_id, data)

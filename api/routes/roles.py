"""Roles of an organization: the four built-in ones plus custom roles."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.datastructures import State

from api.security import no_api_tokens
from application.authorization import Principal
from application.organizations import RoleCreate
from application.views import RoleView


class RoleController(Controller):
    path = "/api/v1/roles"
    tags = ["roles"]
    guards = [no_api_tokens]

    @get("/org/{org_id:str}", operation_id="list_org_roles", summary="Built-in and custom roles of an organization", sync_to_thread=False)
    def list_roles(self, state: State, principal: Principal, org_id: str) -> list[RoleView]:
        return state.container.orgs.roles(principal, org_id)  # type: ignore[no-any-return]

    @post("/org/{org_id:str}", operation_id="create_org_role", summary="Create a custom role", sync_to_thread=True, status_code=200)
    def create_role(self, state: State, principal: Principal, org_id: str, data: RoleCreate) -> RoleView:
        return state.container.orgs.create_role(principal, org_id, data)  # type: ignore[no-any-return]

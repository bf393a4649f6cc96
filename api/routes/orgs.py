"""Organizations, their members and member roles (user sessions only; API tokens get 403)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.datastructures import State
from litestar.params import Parameter

from api.security import no_api_tokens
from application.authorization import Principal
from application.organizations import OrgCreate
from application.views import MemberPage, OrgView


class OrgUpdate(msgspec.Struct, kw_only=True):
    name: str | None = None
    description: str | None = None
    email: str | None = None
    slug: str | None = None
    logo_image: str | None = None


class OrgDeleted(msgspec.Struct):
    detail: str
    org_id: int
    org_name: str


class Detail(msgspec.Struct):
    detail: str


class OrgController(Controller):
    path = "/api/v1/orgs"
    tags = ["orgs"]
    guards = [no_api_tokens]

    @post("/", operation_id="create_org", summary="Create an organization (caller becomes Admin)", sync_to_thread=True, status_code=200)
    def create(self, state: State, principal: Principal, data: OrgCreate) -> OrgView:
        return state.container.orgs.create(principal, data)  # type: ignore[no-any-return]

    @get("/slug/{slug:str}", operation_id="get_org_by_slug", summary="An organization by slug", sync_to_thread=False)
    def by_slug(self, state: State, slug: str) -> OrgView:
        return state.container.orgs.get_by_slug(slug)  # type: ignore[no-any-return]

    @get("/{org_id:str}", operation_id="get_org", summary="An organization by numeric id or org_uuid", sync_to_thread=False)
    def read(self, state: State, org_id: str) -> OrgView:
        return state.container.orgs.get(org_id)  # type: ignore[no-any-return]

    @put("/{org_id:str}", operation_id="update_org", summary="Update an organization", sync_to_thread=True)
    def change(self, state: State, principal: Principal, org_id: str, data: OrgUpdate) -> OrgView:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
        return state.container.orgs.update(principal, org_id, changes)  # type: ignore[no-any-return]

    @delete("/{org_id:str}", operation_id="delete_org", summary="Delete an organization", sync_to_thread=True, status_code=200)
    def remove(self, state: State, principal: Principal, org_id: str) -> OrgDeleted:
        view = state.container.orgs.delete(principal, org_id)
        return OrgDeleted(detail="Organization deleted", org_id=view.id, org_name=view.name)

    @get("/{org_id:str}/users", operation_id="list_org_members", summary="Members of an organization (paginated)", sync_to_thread=False)
    def members(
        self,
        state: State,
        principal: Principal,
        org_id: str,
        page: int = Parameter(default=1, ge=1),
        limit: int = Parameter(default=20, ge=1, le=100),
    ) -> MemberPage:
        return state.container.orgs.members(principal, org_id, page, limit)  # type: ignore[no-any-return]

    @put("/{org_id:str}/users/{user_id:str}/role/{role_uuid:str}", operation_id="change_member_role", summary="Change a member's role", sync_to_thread=True)
    def change_role(self, state: State, principal: Principal, org_id: str, user_id: str, role_uuid: str) -> Detail:
        state.container.orgs.change_role(principal, org_id, user_id, role_uuid)
        return Detail(detail="User role updated")


def user_only(principal: Principal, state: State) -> Any:
    return state.container.authz.require_user(principal)

"""Organizations, their members and member roles (user sessions only; API tokens get 403)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.params import Parameter

from api.params import Page
from api.schemas import Detail, errors
from api.security import no_api_tokens
from application.authorization import Principal
from application.organizations import Organizations, OrgCreate
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


class OrgController(Controller):
    path = "/api/v1/orgs"
    tags = ["orgs"]
    guards = [no_api_tokens]

    @post("/", operation_id="create_org", responses=errors(401, 403, 409, 413, 422), summary="Create an organization (caller becomes Admin)", sync_to_thread=True, status_code=200)
    def create(self, orgs: Organizations, principal: Principal, data: OrgCreate) -> OrgView:
        return orgs.create(principal, data)

    @get("/slug/{slug:str}", operation_id="get_org_by_slug", responses=errors(403, 404), summary="An organization by slug", sync_to_thread=False)
    def by_slug(self, orgs: Organizations, slug: str) -> OrgView:
        return orgs.get_by_slug(slug)

    @get("/{org_id:str}", operation_id="get_org", responses=errors(403, 404), summary="An organization by numeric id or org_uuid", sync_to_thread=False)
    def read(self, orgs: Organizations, org_id: str) -> OrgView:
        return orgs.get(org_id)

    @put("/{org_id:str}", operation_id="update_org", responses=errors(400, 401, 403, 404, 409, 410, 413, 422), summary="Update an organization", sync_to_thread=True)
    def change(self, orgs: Organizations, principal: Principal, org_id: str, data: OrgUpdate) -> OrgView:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
        return orgs.update(principal, org_id, changes)

    @delete("/{org_id:str}", operation_id="delete_org", responses=errors(401, 403, 404, 409, 410), summary="Delete an organization", sync_to_thread=True, status_code=200)
    def remove(self, orgs: Organizations, principal: Principal, org_id: str) -> OrgDeleted:
        view = orgs.delete(principal, org_id)
        return OrgDeleted(detail="Organization deleted", org_id=view.id, org_name=view.name)

    @get("/{org_id:str}/users", operation_id="list_org_members", responses=errors(401, 403, 404, 422), summary="Members of an organization (paginated)", sync_to_thread=False)
    def members(
        self,
        orgs: Organizations,
        principal: Principal,
        org_id: str,
        page: Page = 1,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
    ) -> MemberPage:
        return orgs.members(principal, org_id, page, limit)

    @put("/{org_id:str}/users/{user_id:str}/role/{role_uuid:str}", operation_id="change_member_role", responses=errors(400, 401, 403, 404, 409), summary="Change a member's role", sync_to_thread=True)
    def change_role(self, orgs: Organizations, principal: Principal, org_id: str, user_id: str, role_uuid: str) -> Detail:
        orgs.change_role(principal, org_id, user_id, role_uuid)
        return Detail(detail="User role updated")


    @delete("/{org_id:str}/users/{user_id:str}", operation_id="remove_org_member", summary="Remove a member from an organization", sync_to_thread=True, status_code=200, responses=errors(400, 401, 403, 404, 409))
    def remove_member(self, orgs: Organizations, principal: Principal, org_id: str, user_id: str) -> Detail:
        orgs.remove_member(principal, org_id, user_id)
        return Detail(detail="User removed from org")

"""Org signup mechanism and invite codes (org admins with a user session; API tokens get 403)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from litestar import Controller, delete, get, post, put
from litestar.params import Parameter

from api.schemas import Detail, errors
from api.security import no_api_tokens
from application.authorization import Principal
from application.invites import Invites, InviteView


class OrgInviteController(Controller):
    path = "/api/v1/orgs/{org_id:str}"
    tags = ["orgs"]
    guards = [no_api_tokens]

    @put("/signup_mechanism", operation_id="update_org_signup_mechanism", summary="Make signup open or invite-only", sync_to_thread=True, responses=errors(401, 403, 404, 409, 422))
    def signup_mechanism(
        self, invites: Invites, principal: Principal, org_id: str,
        signup_mechanism: Literal["open", "inviteOnly"],
    ) -> Detail:
        invites.set_signup_mode(principal, org_id, signup_mechanism)
        return Detail(detail="Signup mechanism updated")

    @post("/invites", operation_id="create_invite_code", summary="Create an invite code (optional usage limit and expiry)", sync_to_thread=True, status_code=200, responses=errors(400, 401, 403, 404, 409, 422))
    def create(
        self, invites: Invites, principal: Principal, org_id: str,
        max_uses: int | None = Parameter(default=None, ge=1, le=1_000_000),
        expires_at: datetime | None = Parameter(default=None, description="ISO 8601; default one year"),
    ) -> InviteView:
        return invites.create_code(principal, org_id, max_uses, expires_at)

    @get("/invites", operation_id="list_invite_codes", summary="Invite codes of an organization (expired ones left out)", sync_to_thread=False, responses=errors(401, 403, 404))
    def list_codes(self, invites: Invites, principal: Principal, org_id: str) -> list[InviteView]:
        return invites.list_codes(principal, org_id)

    @get("/invites/code/{invite_code:str}", operation_id="get_invite_code", summary="An invite code, for whoever holds it", sync_to_thread=False, responses=errors(403, 404))
    def by_code(self, invites: Invites, org_id: str, invite_code: str) -> InviteView:
        return invites.get_code(org_id, invite_code)

    @delete("/invites/{invite_code_uuid:str}", operation_id="delete_invite_code", summary="Delete an invite code", sync_to_thread=True, status_code=200, responses=errors(401, 403, 404, 409))
    def remove(self, invites: Invites, principal: Principal, org_id: str, invite_code_uuid: str) -> Detail:
        invites.delete_code(principal, org_id, invite_code_uuid)
        return Detail(detail="Invite code deleted")

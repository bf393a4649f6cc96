"""Headless administration of an org's course generation: its plan and credits, its own
Anthropic key, and the secret its callbacks are signed with. Plans are billing: only the instance's operators (admins of org
``default``) change them; an org's admins read its account and manage its callback secret."""

from __future__ import annotations

from litestar import Controller, delete, get, post, put

from api.schemas import errors
from application.authorization import Principal
from application.generation_accounts import (
    AccountView,
    CallbackSecretView,
    GenerationAccounts,
    OrgModelKey,
    OrgModelKeyView,
    PlanChange,
)


class GenerationAdminController(Controller):
    path = "/api/v1/admin/{org_slug:str}/generation"
    tags = ["admin", "generation"]

    @get("/", operation_id="get_generation_account", responses=errors(401, 403, 404), sync_to_thread=True,
         summary="The org's generation plan, monthly credits and credits used this month")
    def account(self, generation_accounts: GenerationAccounts, principal: Principal, org_slug: str) -> AccountView:
        return generation_accounts.account(principal, org_slug)

    @put("/plan", operation_id="set_generation_plan", responses=errors(401, 403, 404, 409, 413, 422), sync_to_thread=True,
         summary="Set the org's generation plan (instance operators only)")
    def set_plan(
        self, generation_accounts: GenerationAccounts, principal: Principal, org_slug: str, data: PlanChange
    ) -> AccountView:
        return generation_accounts.set_plan(principal, org_slug, data)

    @put("/anthropic-key", operation_id="set_generation_model_key", responses=errors(401, 403, 404, 409, 413, 422), sync_to_thread=True,
         summary="The org's own Anthropic key for its jobs (sealed outside the log; shown masked)")
    def set_key(
        self, generation_accounts: GenerationAccounts, principal: Principal, org_slug: str, data: OrgModelKey
    ) -> OrgModelKeyView:
        return generation_accounts.set_model_key(principal, org_slug, data)

    @delete("/anthropic-key", operation_id="remove_generation_model_key", responses=errors(401, 403, 404, 409), sync_to_thread=True,
            status_code=204, summary="Remove the org's own Anthropic key (jobs use the server's)")
    def remove_key(self, generation_accounts: GenerationAccounts, principal: Principal, org_slug: str) -> None:
        generation_accounts.remove_model_key(principal, org_slug)

    @get("/callback-secret", operation_id="get_generation_callback_secret", responses=errors(401, 403, 404, 409), sync_to_thread=True,
         summary="The secret callbacks (callbackUrl) are signed with, Standard Webhooks style")
    def callback_secret(
        self, generation_accounts: GenerationAccounts, principal: Principal, org_slug: str
    ) -> CallbackSecretView:
        return generation_accounts.callback_secret(principal, org_slug)

    @post("/callback-secret/rotate", operation_id="rotate_generation_callback_secret", responses=errors(401, 403, 404, 409),
          sync_to_thread=True, status_code=200,
          summary="A new callback secret; the previous one keeps signing for 24 hours")
    def rotate(
        self, generation_accounts: GenerationAccounts, principal: Principal, org_slug: str
    ) -> CallbackSecretView:
        return generation_accounts.rotate_callback_secret(principal, org_slug)

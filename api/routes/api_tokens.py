"""API token management (seed 000): user sessions with ``roles`` rights only; a token can never
manage tokens (403)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.params import Parameter

from api.params import Page
from api.schemas import errors
from api.security import no_api_tokens
from application.api_token_schemas import ApiTokenCreated, ApiTokenView, TokenCreate, TokenUpdate
from application.api_tokens import ApiTokens
from application.authorization import Principal


class Message(msgspec.Struct):
    message: str


class ApiTokenController(Controller):
    path = "/api/v1/orgs/{org_id:str}/api-tokens"
    tags = ["api-tokens"]
    guards = [no_api_tokens]

    @post("/", operation_id="create_api_token", responses=errors(400, 401, 403, 404, 409, 413, 422), summary="Create an API token (the secret is shown once)", sync_to_thread=True, status_code=200)
    def create(self, api_tokens: ApiTokens, principal: Principal, org_id: str, data: TokenCreate) -> ApiTokenCreated:
        return api_tokens.issue(principal, org_id, data)

    @get("/", operation_id="list_api_tokens", responses=errors(401, 403, 404, 422), summary="API tokens of an organization, newest first (plain array)", sync_to_thread=False)
    def list_tokens(
        self,
        api_tokens: ApiTokens,
        principal: Principal,
        org_id: str,
        page: Page = 1,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 50,
    ) -> list[ApiTokenView]:
        return api_tokens.list_tokens(principal, org_id, page, limit)

    @get("/{token_uuid:str}", operation_id="get_api_token", responses=errors(401, 403, 404), summary="One API token (never its secret)", sync_to_thread=False)
    def read(self, api_tokens: ApiTokens, principal: Principal, org_id: str, token_uuid: str) -> ApiTokenView:
        return api_tokens.get(principal, org_id, token_uuid)

    @put("/{token_uuid:str}", operation_id="update_api_token", responses=errors(400, 401, 403, 404, 409, 413, 422), summary="Change name, description, rights or expiry", sync_to_thread=True)
    def change(self, api_tokens: ApiTokens, principal: Principal, org_id: str, token_uuid: str, data: TokenUpdate) -> ApiTokenView:
        return api_tokens.update(principal, org_id, token_uuid, data)

    @delete("/{token_uuid:str}", operation_id="revoke_api_token", responses=errors(401, 403, 404, 409), summary="Revoke an API token", sync_to_thread=True, status_code=200)
    def revoke(self, api_tokens: ApiTokens, principal: Principal, org_id: str, token_uuid: str) -> Message:
        api_tokens.revoke(principal, org_id, token_uuid)
        return Message(message="API token revoked successfully")

    @post("/{token_uuid:str}/regenerate", operation_id="regenerate_api_token", responses=errors(400, 401, 403, 404, 409), summary="A new secret for the same token (shown once)", sync_to_thread=True, status_code=200)
    def regenerate(self, api_tokens: ApiTokens, principal: Principal, org_id: str, token_uuid: str) -> ApiTokenCreated:
        return api_tokens.regenerate(principal, org_id, token_uuid)

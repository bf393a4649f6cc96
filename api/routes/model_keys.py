"""BYOK: the signed-in user's own Anthropic key (seed 002 ``/api/auth/api-key``)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Response, delete, get, post

from api.routes.openlearning_user import signed_in
from application.authorization import Principal
from application.model_keys import ApiKeyResponse, ApiKeySetRequest, ModelKeys, ValidateKeyResponse


class Ok(msgspec.Struct):
    ok: bool = True


class ModelKeyController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/api-key", operation_id="ol_set_api_key", summary="Store the user's Anthropic key, encrypted", status_code=200, sync_to_thread=True)
    def store(self, model_keys: ModelKeys, principal: Principal, data: ApiKeySetRequest) -> Ok:
        model_keys.store(signed_in(principal), data.api_key)
        return Ok()

    @get("/api-key", operation_id="ol_get_api_key", summary="A masked preview of the stored key (204 when none)", sync_to_thread=False)
    def preview(self, model_keys: ModelKeys, principal: Principal) -> Response[Any]:
        preview = model_keys.preview(signed_in(principal))
        if preview is None:
            return Response(None, status_code=204)
        return Response(ApiKeyResponse(preview))

    @delete("/api-key", operation_id="ol_delete_api_key", summary="Remove the stored key (idempotent)", status_code=200, sync_to_thread=True)
    def remove(self, model_keys: ModelKeys, principal: Principal) -> Ok:
        model_keys.remove(signed_in(principal))
        return Ok()

    @post("/validate-key", operation_id="ol_validate_key", summary="Check an Anthropic key with a real, cheap call; not stored", status_code=200)
    async def validate(self, model_keys: ModelKeys, principal: Principal, data: ApiKeySetRequest) -> ValidateKeyResponse:
        signed_in(principal)
        return await model_keys.validate(data.api_key)

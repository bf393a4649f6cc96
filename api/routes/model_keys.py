"""BYOK: the signed-in user's own Anthropic key (seed 002 ``/api/auth/api-key``)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, delete, get, post
from litestar.openapi.datastructures import ResponseSpec

from api.routes.openlearning_user import signed_in
from api.schemas import Ok, errors
from api.security import signed_in_first
from application.authorization import Principal
from application.model_keys import ApiKeyResponse, ApiKeySetRequest, ModelKeys, ValidateKeyResponse


class ModelKeyController(Controller):
    path = "/api/auth"
    tags = ["model-keys"]
    guards = [signed_in_first]

    @post("/api-key", operation_id="set_model_key", responses=errors(401, 409, 413, 422), summary="Store the user's Anthropic key, encrypted", status_code=200, sync_to_thread=True)
    def store(self, model_keys: ModelKeys, principal: Principal, data: ApiKeySetRequest) -> Ok:
        model_keys.store(signed_in(principal), data.api_key)
        return Ok()

    @get("/api-key", operation_id="get_model_key",
         responses={
             200: ResponseSpec(ApiKeyResponse, generate_examples=False, description="The masked key"),
             204: ResponseSpec(None, generate_examples=False, description="No key is stored"),
             **errors(401),
         },
         summary="A masked preview of the stored key (204 when none)", sync_to_thread=False)
    def preview(self, model_keys: ModelKeys, principal: Principal) -> Response[Any]:
        preview = model_keys.preview(signed_in(principal))
        if preview is None:
            return Response(None, status_code=204)
        return Response(ApiKeyResponse(preview))

    @delete("/api-key", operation_id="delete_model_key", responses=errors(401, 409), summary="Remove the stored key (idempotent)", status_code=200, sync_to_thread=True)
    def remove(self, model_keys: ModelKeys, principal: Principal) -> Ok:
        model_keys.remove(signed_in(principal))
        return Ok()

    @post("/validate-key", operation_id="validate_model_key", responses=errors(401, 413, 422), summary="Check an Anthropic key with a real, cheap call; not stored", status_code=200)
    async def validate(self, model_keys: ModelKeys, principal: Principal, data: ApiKeySetRequest) -> ValidateKeyResponse:
        signed_in(principal)
        return await model_keys.validate(data.api_key)

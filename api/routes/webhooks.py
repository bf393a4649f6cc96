"""Webhook endpoints of an org (org admins with a user session; API tokens get 403)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.params import Parameter

from api.params import Page
from api.schemas import Detail, errors
from api.security import no_api_tokens
from application.authorization import Principal
from application.webhooks import (
    Catalogue,
    DeliveryAttempt,
    ReplayRequest,
    WebhookCreate,
    Webhooks,
    WebhookUpdate,
    WebhookView,
    WebhookWithSecret,
)


class ReplayQueued(msgspec.Struct):
    detail: str
    replay_id: str


class WebhookController(Controller):
    path = "/api/v1/orgs/{org_id:str}/webhooks"
    tags = ["webhooks"]
    guards = [no_api_tokens]

    @get("/events", operation_id="list_webhook_events", responses=errors(401, 403, 404), summary="The webhook event catalogue with data schemas", sync_to_thread=False)
    def events(self, webhooks: Webhooks, principal: Principal, org_id: str) -> Catalogue:
        return webhooks.catalogue(principal, org_id)

    @post("/", operation_id="create_webhook", responses=errors(400, 401, 403, 404, 409, 413, 422), summary="Create a webhook endpoint (secret shown once)", sync_to_thread=True, status_code=200)
    def create(self, webhooks: Webhooks, principal: Principal, org_id: str, data: WebhookCreate) -> WebhookWithSecret:
        return webhooks.create(principal, org_id, data)

    @get("/", operation_id="list_webhooks", responses=errors(401, 403, 404, 422), summary="Webhook endpoints of the org (paginated)", sync_to_thread=False)
    def index(
        self, webhooks: Webhooks, principal: Principal, org_id: str,
        page: Page = 1, limit: Annotated[int, Parameter(ge=1, le=100)] = 100,
    ) -> list[WebhookView]:
        return webhooks.list_endpoints(principal, org_id, page, limit)

    @get("/{webhook_uuid:str}", operation_id="get_webhook", responses=errors(401, 403, 404), summary="One webhook endpoint", sync_to_thread=False)
    def read(self, webhooks: Webhooks, principal: Principal, org_id: str, webhook_uuid: str) -> WebhookView:
        return webhooks.get(principal, org_id, webhook_uuid)

    @put("/{webhook_uuid:str}", operation_id="update_webhook", responses=errors(400, 401, 403, 404, 409, 413, 422), summary="Update (or re-enable) a webhook endpoint", sync_to_thread=True)
    def update(self, webhooks: Webhooks, principal: Principal, org_id: str, webhook_uuid: str, data: WebhookUpdate) -> WebhookView:
        return webhooks.update(principal, org_id, webhook_uuid, data)

    @delete("/{webhook_uuid:str}", operation_id="delete_webhook", responses=errors(401, 403, 404, 409), summary="Delete a webhook endpoint", sync_to_thread=True, status_code=200)
    def remove(self, webhooks: Webhooks, principal: Principal, org_id: str, webhook_uuid: str) -> Detail:
        webhooks.delete(principal, org_id, webhook_uuid)
        return Detail("Webhook endpoint deleted successfully")

    @post("/{webhook_uuid:str}/regenerate-secret", operation_id="regenerate_webhook_secret", responses=errors(401, 403, 404, 409), summary="New secret; the old one keeps signing for 24 h", sync_to_thread=True, status_code=200)
    def regenerate(self, webhooks: Webhooks, principal: Principal, org_id: str, webhook_uuid: str) -> WebhookWithSecret:
        return webhooks.regenerate_secret(principal, org_id, webhook_uuid)

    @post("/{webhook_uuid:str}/test", operation_id="test_webhook", responses=errors(400, 401, 403, 404, 409), summary="Send a ping event", sync_to_thread=True, status_code=200)
    def test(self, webhooks: Webhooks, principal: Principal, org_id: str, webhook_uuid: str) -> Detail:
        webhooks.test(principal, org_id, webhook_uuid)
        return Detail("Test event dispatched")

    @get("/{webhook_uuid:str}/deliveries", operation_id="list_webhook_deliveries", responses=errors(401, 403, 404, 422), summary="Newest delivery attempts first", sync_to_thread=False)
    def deliveries(
        self, webhooks: Webhooks, principal: Principal, org_id: str, webhook_uuid: str,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
    ) -> list[DeliveryAttempt]:
        return webhooks.deliveries(principal, org_id, webhook_uuid, limit)

    @post("/{webhook_uuid:str}/deliveries/{delivery_id:str}/redeliver", operation_id="redeliver_webhook", responses=errors(401, 403, 404, 409), summary="Send a delivery again (same delivery id)", sync_to_thread=True, status_code=202)
    def redeliver(self, webhooks: Webhooks, principal: Principal, org_id: str, webhook_uuid: str, delivery_id: str) -> Detail:
        webhooks.redeliver(principal, org_id, webhook_uuid, delivery_id)
        return Detail("Redelivery queued")

    @post("/{webhook_uuid:str}/replay", operation_id="replay_webhook", responses=errors(401, 403, 404, 409, 413, 422), summary="Backfill history to this endpoint", sync_to_thread=True, status_code=202)
    def replay(self, webhooks: Webhooks, principal: Principal, org_id: str, webhook_uuid: str, data: ReplayRequest) -> ReplayQueued:
        return ReplayQueued("Replay queued", webhooks.replay(principal, org_id, webhook_uuid, data))

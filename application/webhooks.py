"""Webhooks: org admins manage endpoints; the publisher and delivery workers do the rest.

Every use case needs a user session with org admin rights (API tokens get 403, as LearnHouse
says). Endpoint reads come from the publisher's own endpoint table, which the write path
waits for (read-your-writes), so an endpoint answered with 201 already receives events.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

import msgspec

from application.authorization import Authorization, Principal
from application.organizations import Organizations
from application.paging import page_of
from application.webhook_schemas import ENVELOPE_SCHEMA, EVENT_TYPES, subscribable
from application.writer import Writer
from domain.errors import InvalidInput, NotFound, RuleBroken
from domain.webhooks import (
    ENDPOINT_NOT_FOUND,
    ROTATION_OVERLAP_HOURS,
    WebhookEndpoint,
    secret_context,
)

READ_MODELS = ("webhook_publisher",)
MAX_DELIVERY_LIMIT = 200


class SecretSealer(Protocol):
    def seal(self, plaintext: str, context: str) -> str: ...


class EndpointStore(Protocol):
    """The publisher's endpoint table and the outbox, as this service reads them."""

    def endpoints(self, org_uuid: str, offset: int, limit: int) -> list[dict[str, Any]]: ...
    def endpoint(self, org_uuid: str, endpoint_uuid: str) -> dict[str, Any] | None: ...
    def user_id(self, user_uuid: str) -> int | None: ...
    def attempts(self, endpoint_uuid: str, limit: int) -> list[dict[str, Any]]: ...
    def redeliver(self, endpoint_uuid: str, delivery_id: str) -> bool: ...


class WebhookCreate(msgspec.Struct, kw_only=True):
    url: str
    events: list[str]
    description: str = ""


class WebhookUpdate(msgspec.Struct, kw_only=True):
    url: str | None = None
    description: str | None = None
    events: list[str] | None = None
    is_active: bool | None = None


class ReplayRequest(msgspec.Struct, kw_only=True):
    since: str
    until: str | None = None
    events: list[str] | None = None


class WebhookView(msgspec.Struct, kw_only=True):
    id: int
    webhook_uuid: str
    org_id: int
    url: str
    description: str
    events: list[str]
    is_active: bool
    has_secret: bool
    source: str = "manual"
    zap_name: str | None = None
    zap_id: str | None = None
    created_by_user_id: int | None
    disabled_reason: str | None = None
    creation_date: str
    update_date: str


class WebhookWithSecret(WebhookView, kw_only=True):
    secret: str


class DeliveryAttempt(msgspec.Struct, kw_only=True):
    id: str
    webhook_id: int
    webhook_uuid: str
    event_name: str
    delivery_uuid: str
    delivery_id: str
    request_payload: dict[str, Any] | None
    status: str  # this attempt: "succeeded" | "failed"
    delivery_status: str | None  # the delivery now: pending | succeeded | failed | cancelled
    response_status: int | None
    response_body: str
    success: bool
    attempt: int
    error_message: str | None
    duration_ms: int
    replayed: bool
    created_at: str


class EventTypeView(msgspec.Struct):
    name: str
    category: str
    description: str
    subscribable: bool
    schema: dict[str, Any]


class Catalogue(msgspec.Struct):
    events: dict[str, str]  # LearnHouse's shape: name → description
    catalogue: list[EventTypeView]
    envelope: dict[str, Any]


def new_secret() -> str:
    # Standard base64 so the ``standardwebhooks`` package derives the same HMAC key.
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


def check_events(names: list[str]) -> list[str]:
    """The names, once each; LearnHouse's 400 (both lists sorted) for a name not subscribable."""
    allowed = subscribable()
    unknown = sorted({n for n in names if n not in allowed})
    if unknown:
        raise RuleBroken(
            f"Invalid event names: {', '.join(unknown)}. Allowed events: {', '.join(sorted(allowed))}",
            code="INVALID_EVENTS",
        )
    return list(dict.fromkeys(names))


def parse_time(text: str, field: str) -> str:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{field} must be an ISO-8601 date-time", field=field) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Webhooks:
    def __init__(
        self,
        writer: Writer,
        orgs: Organizations,
        authz: Authorization,
        store: EndpointStore,
        sealer: SecretSealer,
        check_url: Callable[[str], str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._writer = writer
        self._orgs = orgs
        self._authz = authz
        self._store = store
        self._sealer = sealer
        self._check_url = check_url
        self._clock = clock

    def _admin(self, principal: Principal, org_ref: str | int) -> tuple[str, int]:
        self._authz.require_user(principal)
        org_uuid = self._orgs.org_uuid(org_ref)
        self._authz.require(principal, org_uuid, "organizations", "update")
        return org_uuid, self._orgs.get(org_uuid).id

    def _view(self, row: dict[str, Any], org_id: int, cls: type[Any] = WebhookView, **extra: Any) -> Any:
        creator = row["created_by"]
        return cls(
            id=int(row["id"]), webhook_uuid=f"webhook_{row['endpoint_uuid']}", org_id=org_id,
            url=row["url"], description=row["description"], events=json.loads(row["events"]),
            is_active=bool(row["is_active"]), has_secret=bool(row["secret"]),
            created_by_user_id=self._store.user_id(creator) if creator else None,
            disabled_reason=row["disabled_reason"], creation_date=row["creation_date"],
            update_date=row["update_date"], **extra,
        )

    def _row(self, org_uuid: str, webhook_uuid: str) -> dict[str, Any]:
        bare = webhook_uuid.removeprefix("webhook_")
        row = self._store.endpoint(org_uuid, bare)
        if row is None or row["deleted"]:
            raise NotFound(ENDPOINT_NOT_FOUND)
        return row

    def _load(self, row: dict[str, Any]) -> WebhookEndpoint:
        endpoint = self._writer.events.get(UUID(row["endpoint_uuid"]), WebhookEndpoint)
        if endpoint is None or endpoint.deleted:
            raise NotFound(ENDPOINT_NOT_FOUND)
        return endpoint

    def _change(self, row: dict[str, Any], change: Callable[[WebhookEndpoint], None]) -> None:
        def apply() -> None:
            endpoint = self._load(row)
            change(endpoint)
            self._writer.save(endpoint, read_models=READ_MODELS)

        self._writer.retrying(apply)

    # -- queries ----------------------------------------------------------------------------
    def catalogue(self, principal: Principal, org_ref: str | int) -> Catalogue:
        self._admin(principal, org_ref)
        types = list(EVENT_TYPES.values())
        return Catalogue(
            events={t.name: t.description for t in types if t.subscribable},
            catalogue=[EventTypeView(t.name, t.category, t.description, t.subscribable, t.data) for t in types],
            envelope=ENVELOPE_SCHEMA,
        )

    def list_endpoints(self, principal: Principal, org_ref: str | int, page: int, limit: int) -> list[WebhookView]:
        org_uuid, org_id = self._admin(principal, org_ref)
        window = page_of(page, limit, 100)
        rows = self._store.endpoints(org_uuid, window.offset, window.limit)
        return [self._view(r, org_id) for r in rows]

    def get(self, principal: Principal, org_ref: str | int, webhook_uuid: str) -> WebhookView:
        org_uuid, org_id = self._admin(principal, org_ref)
        return self._view(self._row(org_uuid, webhook_uuid), org_id)  # type: ignore[no-any-return]

    def deliveries(
        self, principal: Principal, org_ref: str | int, webhook_uuid: str, limit: int
    ) -> list[DeliveryAttempt]:
        org_uuid, _ = self._admin(principal, org_ref)
        row = self._row(org_uuid, webhook_uuid)
        limit = max(1, min(limit, MAX_DELIVERY_LIMIT))
        return [
            DeliveryAttempt(
                id=a["attempt_id"], webhook_id=int(row["id"]),
                webhook_uuid=f"webhook_{row['endpoint_uuid']}", event_name=a["event_name"],
                delivery_uuid=a["delivery_id"], delivery_id=a["delivery_id"],
                request_payload=json.loads(a["request_payload"]) if a["request_payload"] else None,
                status="succeeded" if a["success"] else "failed",
                delivery_status=a["delivery_status"], response_status=a["response_status"],
                response_body=a["response_body"], success=bool(a["success"]),
                attempt=int(a["attempt"]), error_message=a["error"] or None,
                duration_ms=int(a["duration_ms"]), replayed=bool(a["replayed"]),
                created_at=a["created_at"],
            )
            for a in self._store.attempts(row["endpoint_uuid"], limit)
        ]

    # -- commands ---------------------------------------------------------------------------
    def create(self, principal: Principal, org_ref: str | int, command: WebhookCreate) -> WebhookWithSecret:
        org_uuid, org_id = self._admin(principal, org_ref)
        events = check_events(command.events)
        if not events:
            raise InvalidInput("events must name at least one event", field="events")
        url = self._check_url(command.url)
        secret = new_secret()
        endpoint = WebhookEndpoint(
            org_id=UUID(org_uuid), url=url, description=command.description, events=events,
            secret_ciphertext=self._sealer.seal(secret, secret_context(org_uuid)),
            created_by=principal.user_id,
        )
        self._writer.save(endpoint, read_models=READ_MODELS)
        row = self._row(org_uuid, str(endpoint.id))
        return self._view(row, org_id, WebhookWithSecret, secret=secret)  # type: ignore[no-any-return]

    def update(
        self, principal: Principal, org_ref: str | int, webhook_uuid: str, command: WebhookUpdate
    ) -> WebhookView:
        org_uuid, _ = self._admin(principal, org_ref)
        row = self._row(org_uuid, webhook_uuid)
        changes: dict[str, Any] = {}
        if command.url is not None:
            changes["url"] = self._check_url(command.url)
        if command.description is not None:
            changes["description"] = command.description
        if command.events is not None:
            changes["events"] = check_events(command.events)
            if not changes["events"]:
                raise InvalidInput("events must name at least one event", field="events")
        if command.is_active is not None:
            changes["is_active"] = command.is_active
        if changes:
            self._change(row, lambda endpoint: endpoint.update(changes))
        return self.get(principal, org_ref, webhook_uuid)

    def delete(self, principal: Principal, org_ref: str | int, webhook_uuid: str) -> None:
        org_uuid, _ = self._admin(principal, org_ref)
        self._change(self._row(org_uuid, webhook_uuid), lambda endpoint: endpoint.delete())

    def regenerate_secret(
        self, principal: Principal, org_ref: str | int, webhook_uuid: str
    ) -> WebhookWithSecret:
        org_uuid, org_id = self._admin(principal, org_ref)
        row = self._row(org_uuid, webhook_uuid)
        secret = new_secret()
        sealed = self._sealer.seal(secret, secret_context(org_uuid))
        until = datetime.fromtimestamp(self._clock(), UTC) + timedelta(hours=ROTATION_OVERLAP_HOURS)
        until_text = until.isoformat().replace("+00:00", "Z")
        self._change(row, lambda endpoint: endpoint.rotate_secret(sealed, until_text))
        return self._view(self._row(org_uuid, webhook_uuid), org_id, WebhookWithSecret, secret=secret)  # type: ignore[no-any-return]

    def test(self, principal: Principal, org_ref: str | int, webhook_uuid: str) -> None:
        org_uuid, _ = self._admin(principal, org_ref)
        row = self._row(org_uuid, webhook_uuid)
        if not row["is_active"]:
            raise RuleBroken("Webhook endpoint is disabled; re-enable it with PUT first", code="WEBHOOK_DISABLED")
        self._change(row, lambda endpoint: endpoint.request_ping(principal.user_id))

    def redeliver(
        self, principal: Principal, org_ref: str | int, webhook_uuid: str, delivery_id: str
    ) -> None:
        org_uuid, _ = self._admin(principal, org_ref)
        row = self._row(org_uuid, webhook_uuid)
        if not self._store.redeliver(row["endpoint_uuid"], delivery_id):
            raise NotFound("Webhook delivery not found")

    def replay(
        self, principal: Principal, org_ref: str | int, webhook_uuid: str, command: ReplayRequest
    ) -> str:
        org_uuid, _ = self._admin(principal, org_ref)
        row = self._row(org_uuid, webhook_uuid)
        since = parse_time(command.since, "since")
        until = parse_time(command.until, "until") if command.until else ""
        if until and until <= since:
            raise InvalidInput("until must be after since", field="until")
        events = check_events(command.events or [])
        holder: list[int] = []

        def apply() -> None:
            endpoint = self._load(row)
            endpoint.request_replay(since, until, events, principal.user_id)
            holder.append(self._writer.save(endpoint, read_models=READ_MODELS))

        self._writer.retrying(apply)
        return f"rpl_{holder[-1]}"

    # -- system -----------------------------------------------------------------------------
    def disable_failing(self, endpoint_uuid: str, failing_since: str) -> None:
        """Called by a delivery worker: the endpoint failed continuously for too long."""

        def apply() -> None:
            endpoint = self._writer.events.get(UUID(endpoint_uuid), WebhookEndpoint)
            if endpoint is not None and endpoint.disable_for_failures(
                f"Failing continuously since {failing_since}", failing_since
            ):
                self._writer.save(endpoint, read_models=READ_MODELS)

        self._writer.retrying(apply)

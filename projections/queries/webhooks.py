"""Reads over the webhook publisher's tables for the management API."""

from __future__ import annotations

from typing import Any

from infrastructure.webhooks.outbox import Outbox
from projections.webhook_publisher import WebhookPublisher


class WebhookQueries:
    def __init__(self, publisher: WebhookPublisher, outbox: Outbox) -> None:
        self._p = publisher
        self._outbox = outbox
        self._store = publisher.store

    def endpoints(self, org_uuid: str, offset: int, limit: int) -> list[dict[str, Any]]:
        return self._store.fetchall(
            f"SELECT * FROM {self._p.table('endpoints')} WHERE org_uuid = ? AND deleted = 0"
            " ORDER BY id LIMIT ? OFFSET ?",
            (org_uuid, limit, offset),
        )

    def endpoint(self, org_uuid: str, endpoint_uuid: str) -> dict[str, Any] | None:
        return self._store.fetchone(
            f"SELECT * FROM {self._p.table('endpoints')} WHERE org_uuid = ? AND endpoint_uuid = ?",
            (org_uuid, endpoint_uuid),
        )

    def user_id(self, user_uuid: str) -> int | None:
        row = self._store.fetchone(
            f"SELECT id FROM {self._p.table('users')} WHERE user_uuid = ?", (user_uuid,)
        )
        return int(row["id"]) if row else None

    def attempts(self, endpoint_uuid: str, limit: int) -> list[dict[str, Any]]:
        return self._outbox.attempts(endpoint_uuid, limit)

    def redeliver(self, endpoint_uuid: str, delivery_id: str) -> bool:
        return self._outbox.redeliver(endpoint_uuid, delivery_id)

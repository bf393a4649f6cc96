"""Deliveries written into the webhook outbox, and fresh ones handed to this process's worker.

``DeliveryWriter`` writes an event's deliveries (one row per subscribed endpoint, in the
publisher's batch transaction) and keeps the hand-off bookkeeping: the rows written leased to
this process's delivery worker, handed over after the commit, or left due for a claim when
their endpoint changes later in the same batch.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import msgspec

from application.webhook_catalogue import Published
from infrastructure.bulk_sql import in_list, insert_rows, slices
from infrastructure.event_store import LoggedEvent
from infrastructure.read_store import Dialect, Row, Tx


def iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def delivery_id(endpoint_uuid: str, position: int, replay_id: str = "") -> str:
    digest = hashlib.sha256(f"{endpoint_uuid}:{position}:{replay_id}".encode()).hexdigest()
    return f"dlv_{digest[:16]}"


@dataclass(frozen=True)
class FreshDelivery:
    """A delivery just queued (and leased until ``lease_until_ms``) for this process's worker."""

    delivery_id: str
    endpoint: Row
    org_uuid: str
    event_name: str
    payload: str
    lease_until_ms: int


class FreshHandOff(Protocol):
    def lease_until_ms(self, pending: int) -> int | None:
        """The lease to write on a delivery handed over now, or None to leave it due;
        ``pending``: deliveries this batch hands over already (not yet taken)."""
        ...

    def take(self, deliveries: list[FreshDelivery]) -> None:
        """Called after the commit that queued ``deliveries``."""
        ...


class DeliveryWriter:
    def __init__(self, dialect: Dialect, table: str) -> None:
        self._dialect = dialect
        self._table = table
        # Hand-off of fresh deliveries to this process's delivery worker (see
        # ``WebhookPublisher.hand_fresh_to``).
        self.handoff: FreshHandOff | None = None
        self._handed: list[tuple[FreshHandOff, FreshDelivery]] = []

    def write(
        self, tx: Tx, endpoints: list[Row], name: str, logged: LoggedEvent, result: Published,
        org_id: int, replay_id: str = "",
    ) -> tuple[int, bool]:
        """Queue ``name`` for each endpoint; returns how many rows were written and whether
        some were left due (a worker must be woken to claim them)."""
        when = iso_z(logged.event.timestamp)  # type: ignore[attr-defined]
        # Replays are queued by the worker itself, outside this follower: never handed over.
        target = self.handoff
        lease = target.lease_until_ms(len(self._handed)) if target is not None and not replay_id else None
        rows = []
        for ep in endpoints:
            did = delivery_id(ep["endpoint_uuid"], logged.position, replay_id)
            body: dict[str, Any] = {
                "event": name, "delivery_id": did, "timestamp": when, "org_id": org_id,
                "data": result.data,
            }
            if replay_id:
                body["replayed"] = True
            payload = msgspec.json.encode(body).decode()
            rows.append((
                did, ep["endpoint_uuid"], result.org_uuid, name, logged.position, payload,
                "pending", 0, lease or 0, int(bool(replay_id)), when, 0,
            ))
            if target is not None and lease is not None:
                self._handed.append((target, FreshDelivery(did, ep, result.org_uuid, name, payload, lease)))
        # One statement for an event's deliveries, not one per endpoint.
        insert_rows(
            tx, self._dialect, self._table,
            ("delivery_id", "endpoint_uuid", "org_uuid", "event_name", "position", "payload",
             "status", "attempts", "due_ms", "replayed", "created_at", "updated_ms"),
            ("text", "text", "text", "text", "bigint", "text", "text", "int", "bigint", "int",
             "text", "bigint"),
            rows,
            suffix="ON CONFLICT (delivery_id) DO NOTHING",
        )
        # Handed-over rows need no wake-up: the worker gets them at commit.
        return len(rows), bool(rows) and lease is None

    def unhand(self, tx: Tx, endpoint_uuid: str) -> bool:
        """The endpoint changed in this batch: its deliveries queued earlier in the batch are
        not handed over with the old url/secret/state but left due, for a claim to judge.
        True when some were (a worker must be woken to claim them)."""
        mine = [d.delivery_id for _, d in self._handed if d.endpoint["endpoint_uuid"] == endpoint_uuid]
        if not mine:
            return False
        self._handed = [(t, d) for t, d in self._handed if d.endpoint["endpoint_uuid"] != endpoint_uuid]
        for some in slices(mine):
            due, ids = in_list(self._dialect, "delivery_id", some, "text")
            tx.execute(f"UPDATE {self._table} SET due_ms = 0 WHERE {due}", ids)
        return True

    def hand_over(self) -> None:
        """After the commit: each worker takes the deliveries written leased to it."""
        if self._handed:
            handed, self._handed = self._handed, []
            by_target: dict[int, tuple[FreshHandOff, list[FreshDelivery]]] = {}
            for target, fresh in handed:
                by_target.setdefault(id(target), (target, []))[1].append(fresh)
            for target, deliveries in by_target.values():
                target.take(deliveries)

    def rolled_back(self) -> None:
        self._handed = []

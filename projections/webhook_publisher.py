"""The webhook publisher: a follower of the global log that fills the delivery outbox.

For each event the catalogue binds, it writes one delivery per active endpoint of the event's
org subscribed to that name, in the same transaction as its tracking position: a crash never
loses nor doubles a queued delivery. It keeps its own endpoints and a small lookup model
(orgs, users, memberships, entities) filled in log order, so payloads never depend on another
projection's lag (``projections.webhook_lookups``); the delivery rows, and the hand-off of fresh
ones to this process's worker, are written by ``projections.webhook_deliveries``. Delivery
workers (``infrastructure.webhooks.worker``) update the outbox rows' state and own the attempt
log and endpoint health tables created here.

The outbox (deliveries, the attempt log, endpoint health, replay requests) is not derived from
the log alone: a rebuild keeps it (``kept_tables``) and queues nothing for the events it
re-applies up to where this follower had published (``Projection.replaying``), so replaying
history never sends it again; events after that point are published as usual (a delivery id
is deterministic, so one the live follower queued meanwhile is not queued twice).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from eventsourcing.utils import get_topic

from application.webhook_catalogue import Binding, Published, bindings
from domain.webhooks import WebhookEndpoint as W
from infrastructure.event_store import LoggedEvent
from infrastructure.read_store import Row, Tx
from infrastructure.uuid_text import uuid_text
from projections.engine.framework import Handler, Projection
from projections.engine.writes import Writes
from projections.generation_callbacks import GenerationCallbacks
from projections.webhook_deliveries import DeliveryWriter, FreshHandOff, iso_z
from projections.webhook_lookups import TxLookups, WebhookLookups

PING_MESSAGE = "This is a test webhook event from learnstream."


class WebhookPublisher(Projection):
    name = "webhook_publisher"
    version = 1
    tables = {
        "endpoints": (
            "endpoint_uuid TEXT PRIMARY KEY, id BIGINT NOT NULL, org_uuid TEXT NOT NULL,"
            " url TEXT NOT NULL, description TEXT NOT NULL, events TEXT NOT NULL,"
            " is_active INTEGER NOT NULL, deleted INTEGER NOT NULL, secret TEXT NOT NULL,"
            " previous_secret TEXT NOT NULL, previous_valid_until TEXT NOT NULL,"
            " created_by TEXT, disabled_reason TEXT, creation_date TEXT NOT NULL,"
            " update_date TEXT NOT NULL"
        ),
        "orgs": "org_uuid TEXT PRIMARY KEY, id BIGINT NOT NULL",
        "users": "user_uuid TEXT PRIMARY KEY, id BIGINT NOT NULL, email TEXT NOT NULL, username TEXT NOT NULL",
        "memberships": "membership_id TEXT PRIMARY KEY, org_uuid TEXT NOT NULL, user_uuid TEXT NOT NULL",
        "entities": (
            "entity_uuid TEXT PRIMARY KEY, kind TEXT NOT NULL, org_uuid TEXT NOT NULL,"
            " course_uuid TEXT NOT NULL, name TEXT NOT NULL, extra TEXT NOT NULL,"
            " deleted INTEGER NOT NULL"
        ),
        "deliveries": (
            "delivery_id TEXT PRIMARY KEY, endpoint_uuid TEXT NOT NULL, org_uuid TEXT NOT NULL,"
            " event_name TEXT NOT NULL, position BIGINT NOT NULL, payload TEXT NOT NULL,"
            " status TEXT NOT NULL, attempts INTEGER NOT NULL, due_ms BIGINT NOT NULL,"
            " replayed INTEGER NOT NULL, created_at TEXT NOT NULL, updated_ms BIGINT NOT NULL"
        ),
        "attempts": (
            "attempt_id TEXT PRIMARY KEY, endpoint_uuid TEXT NOT NULL, delivery_id TEXT NOT NULL,"
            " event_name TEXT NOT NULL, attempt INTEGER NOT NULL, success INTEGER NOT NULL,"
            " response_status INTEGER, response_body TEXT NOT NULL, error TEXT NOT NULL,"
            " duration_ms INTEGER NOT NULL, replayed INTEGER NOT NULL, created_at TEXT NOT NULL"
        ),
        "health": (
            "endpoint_uuid TEXT PRIMARY KEY, failing_since_ms BIGINT, disable_requested INTEGER NOT NULL"
        ),
        "replays": (
            "replay_id TEXT PRIMARY KEY, endpoint_uuid TEXT NOT NULL, since TEXT NOT NULL,"
            " until TEXT NOT NULL, events TEXT NOT NULL, upto BIGINT NOT NULL,"
            " cursor BIGINT NOT NULL, done INTEGER NOT NULL, queued INTEGER NOT NULL"
        ),
    }
    kept_tables = frozenset({"deliveries", "attempts", "health", "replays"})
    indexes = (
        "CREATE INDEX IF NOT EXISTS {endpoints}_org ON {endpoints} (org_uuid)",
        "CREATE INDEX IF NOT EXISTS {deliveries}_due ON {deliveries} (status, due_ms)",
        "CREATE INDEX IF NOT EXISTS {deliveries}_endpoint ON {deliveries} (endpoint_uuid, position)",
        "CREATE INDEX IF NOT EXISTS {attempts}_endpoint ON {attempts} (endpoint_uuid, attempt_id)",
    )

    def __init__(self, store: Any) -> None:
        # Before ``Projection.__init__``, which collects the handlers (the lookups' among them).
        self.lookups = WebhookLookups(self.table, self.replaying)
        # callbackUrl deliveries of generation jobs (one-off targets, same outbox)
        self.callbacks = GenerationCallbacks(self.table, store.dialect, self._callback_queued, self.replaying)
        super().__init__(store)
        self._queued = False
        self._replay_queued = False
        self._on_queued: list[Callable[[], None]] = []
        self._on_replay: list[Callable[[], None]] = []
        # Event names some active endpoint subscribes to, and active endpoints by org, loaded
        # on use. Cleared by every endpoint change, by a rolled-back batch and on resume, so
        # they never hold less than the table (a superset of names is harmless).
        self._subscribed: frozenset[str] | None = None
        self._endpoints: dict[str, list[Row]] = {}
        self.deliveries = DeliveryWriter(store.dialect, self.table("deliveries"))

    def resumed(self) -> None:
        self._forget_endpoints()  # another process may have changed endpoints meanwhile
        self.lookups.entities.clear()

    def rolled_back(self) -> None:
        self._forget_endpoints()
        self.lookups.entities.clear()
        self.deliveries.rolled_back()

    def hand_fresh_to(self, handoff: FreshHandOff | None) -> None:
        """Give this process's delivery worker the deliveries this follower queues, after the
        commit, instead of making it find them with a claim query (one round trip and a
        wake-up less between an event and its receiver). ``None`` stops handing over.

        A handed-over row is written leased to that worker (``handoff.lease_until_ms()``), so
        no other worker claims it meanwhile; it goes to the very worker that leased it, even if
        that one is stopping by then (it gives back what it will not send). Should the process
        die first, the row becomes due when the lease runs out, like any claimed row."""
        self.deliveries.handoff = handoff

    def _callback_queued(self) -> None:
        self._queued = True

    def _forget_endpoints(self) -> None:
        self._subscribed = None
        self._endpoints = {}

    def _active_endpoints(self, tx: Tx, org_uuid: str) -> list[Row]:
        found = self._endpoints.get(org_uuid)
        if found is None:
            found = self._endpoints[org_uuid] = tx.fetchall(
                f"SELECT * FROM {self.table('endpoints')}"
                " WHERE org_uuid = ? AND is_active = 1 AND deleted = 0",
                (org_uuid,),
            )
        return found

    def _subscribed_names(self, tx: Tx) -> frozenset[str]:
        if self._subscribed is None:
            rows = tx.fetchall(
                f"SELECT events FROM {self.table('endpoints')} WHERE is_active = 1 AND deleted = 0"
            )
            self._subscribed = frozenset(n for r in rows for n in json.loads(r["events"]))
        return self._subscribed

    def on_queued(self, listener: Callable[[], None]) -> None:
        """``listener()`` runs after a batch that queued deliveries or a replay committed:
        delivery workers of this process wake for new work, not for every event."""
        self._on_queued.append(listener)

    def on_replay(self, listener: Callable[[], None]) -> None:
        """``listener()`` runs after a batch that requested a replay committed."""
        self._on_replay.append(listener)

    def committed(self) -> None:
        self.deliveries.hand_over()
        if self._replay_queued:
            self._replay_queued = False
            for listener in list(self._on_replay):
                listener()
        if self._queued:
            self._queued = False
            for listener in list(self._on_queued):
                listener()

    def handlers(self) -> dict[type, Handler]:
        chains: dict[type, list[Handler]] = {
            **self.lookups.handlers(),
            W.WebhookEndpointCreated: [self._endpoint_created],
            W.WebhookEndpointUpdated: [self._endpoint_updated],
            W.WebhookSecretRotated: [self._secret_rotated],
            W.WebhookEndpointDisabled: [self._endpoint_disabled],
            W.WebhookEndpointDeleted: [self._endpoint_deleted],
            W.WebhookPingRequested: [self._ping],
            W.WebhookReplayRequested: [self._replay_requested],
        }
        for cls, handler in self.callbacks.handlers().items():
            chains.setdefault(cls, []).append(handler)
        self.bindings: dict[type, list[Binding]] = {}
        for binding in bindings():
            self.bindings.setdefault(binding.cls, []).append(binding)
            chains.setdefault(binding.cls, []).append(self._publish)
        return {cls: _chain(fns) for cls, fns in chains.items()}

    # -- endpoints --------------------------------------------------------------------------
    def _endpoint_created(self, tx: Tx, logged: LoggedEvent) -> None:
        self._forget_endpoints()
        e: Any = logged.event
        when = iso_z(e.timestamp)
        tx.execute(
            f"INSERT INTO {self.table('endpoints')} (endpoint_uuid, id, org_uuid, url, description,"
            " events, is_active, deleted, secret, previous_secret, previous_valid_until,"
            " created_by, disabled_reason, creation_date, update_date)"
            " VALUES (?, ?, ?, ?, ?, ?, 1, 0, ?, '', '', ?, NULL, ?, ?)",
            (
                uuid_text(e.originator_id), logged.position, uuid_text(e.org_id), e.url, e.description,
                json.dumps(e.events), e.secret_ciphertext,
                uuid_text(e.created_by) if e.created_by else None, when, when,
            ),
        )
        tx.execute(
            f"INSERT INTO {self.table('entities')} (entity_uuid, kind, org_uuid, course_uuid, name,"
            " extra, deleted) VALUES (?, 'webhook', ?, '', ?, ?, 0)",
            (uuid_text(e.originator_id), uuid_text(e.org_id), e.url, "{}"),
        )

    def _set_endpoint(self, tx: Tx, logged: LoggedEvent, values: dict[str, Any]) -> None:
        self._forget_endpoints()
        if self.deliveries.unhand(tx, uuid_text(logged.event.originator_id)):  # type: ignore[attr-defined]
            self._queued = True
        assigns = ", ".join(f"{k} = ?" for k in values)
        tx.execute(
            f"UPDATE {self.table('endpoints')} SET {assigns}, update_date = ? WHERE endpoint_uuid = ?",
            (*values.values(), iso_z(logged.event.timestamp), uuid_text(logged.event.originator_id)),  # type: ignore[attr-defined]
        )

    def _endpoint_updated(self, tx: Tx, logged: LoggedEvent) -> None:
        changes = dict(logged.event.changes)  # type: ignore[attr-defined]
        uuid = uuid_text(logged.event.originator_id)
        if "events" in changes:
            changes["events"] = json.dumps(changes["events"])
        if "is_active" in changes:
            changes["is_active"] = int(bool(changes["is_active"]))
            if changes["is_active"]:
                changes["disabled_reason"] = None
                if not self.replaying(logged):
                    self._queued = True  # its pending deliveries are due again
                    tx.execute(f"DELETE FROM {self.table('health')} WHERE endpoint_uuid = ?", (uuid,))
        if "url" in changes:
            self.lookups.entities.forget(uuid)
            tx.execute(
                f"UPDATE {self.table('entities')} SET name = ? WHERE entity_uuid = ?",
                (changes["url"], uuid),
            )
        self._set_endpoint(tx, logged, changes)

    def _secret_rotated(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        self._set_endpoint(tx, logged, {
            "secret": e.secret_ciphertext,
            "previous_secret": e.previous_secret_ciphertext,
            "previous_valid_until": e.previous_valid_until,
        })

    def _endpoint_disabled(self, tx: Tx, logged: LoggedEvent) -> None:
        reason = logged.event.reason  # type: ignore[attr-defined]
        self._set_endpoint(tx, logged, {"is_active": 0, "disabled_reason": reason})

    def _endpoint_deleted(self, tx: Tx, logged: LoggedEvent) -> None:
        self._set_endpoint(tx, logged, {"is_active": 0, "deleted": 1})
        if self.replaying(logged):
            return
        tx.execute(
            f"UPDATE {self.table('deliveries')} SET status = 'cancelled'"
            " WHERE endpoint_uuid = ? AND status = 'pending'",
            (uuid_text(logged.event.originator_id),),
        )

    def _ping(self, tx: Tx, logged: LoggedEvent) -> None:
        if self.replaying(logged):
            return
        endpoint = self.endpoint(tx, uuid_text(logged.event.originator_id))
        if endpoint is None or endpoint["deleted"]:
            return
        published = Published(endpoint["org_uuid"], {"message": PING_MESSAGE})
        self.enqueue(tx, [endpoint], "ping", logged, published)

    def _replay_requested(self, tx: Tx, logged: LoggedEvent) -> None:
        if self.replaying(logged):
            return
        e: Any = logged.event
        tx.execute(
            f"INSERT INTO {self.table('replays')} (replay_id, endpoint_uuid, since, until, events,"
            " upto, cursor, done, queued) VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0)"
            " ON CONFLICT (replay_id) DO NOTHING",
            (
                f"rpl_{logged.position}", uuid_text(e.originator_id), e.since, e.until,
                json.dumps(e.events), logged.position,
            ),
        )
        self._replay_queued = self._queued = True

    # -- publishing -------------------------------------------------------------------------
    def endpoint(self, tx: Tx, endpoint_uuid: str) -> Row | None:
        return tx.fetchone(
            f"SELECT * FROM {self.table('endpoints')} WHERE endpoint_uuid = ?", (endpoint_uuid,)
        )

    def replay_topics(self) -> set[str]:
        return {get_topic(cls) for cls in self.bindings}

    def published(self, tx: Tx, logged: LoggedEvent) -> list[tuple[str, Published]]:
        """What the catalogue makes of this event: ``(name, org + data)`` pairs."""
        out = []
        lookups = TxLookups(tx, self.lookups)
        for binding in self.bindings.get(type(logged.event), ()):
            result = binding.build(lookups, logged.event)
            if result is not None:
                out.append((binding.name, result))
        return out

    def _publish(self, tx: Tx, logged: LoggedEvent) -> None:
        if self.replaying(logged):
            return  # published when first applied: history is not sent again
        names = self._subscribed_names(tx)
        if not any(b.name in names for b in self.bindings.get(type(logged.event), ())):
            return  # nobody listens: skip building the payload (its lookups are queries)
        for name, result in self.published(tx, logged):
            endpoints = self._active_endpoints(tx, result.org_uuid)
            subscribed = [ep for ep in endpoints if name in json.loads(ep["events"])]
            if subscribed:
                self.enqueue(tx, subscribed, name, logged, result)

    def enqueue(
        self, tx: Tx, endpoints: list[Row], name: str, logged: LoggedEvent, result: Published,
        replay_id: str = "",
    ) -> int:
        org_id = TxLookups(tx, self.lookups).org_id(result.org_uuid) or 0
        written, left_due = self.deliveries.write(tx, endpoints, name, logged, result, org_id, replay_id)
        self._queued = self._queued or left_due
        return written


def _chain(fns: list[Handler]) -> Handler:
    if len(fns) == 1:
        return fns[0]

    def run(tx: Writes, logged: LoggedEvent) -> None:
        for fn in fns:
            fn(tx, logged)

    return run

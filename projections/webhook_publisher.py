"""The webhook publisher: a follower of the global log that fills the delivery outbox.

For each event the catalogue binds, it writes one delivery per active endpoint of the event's
org subscribed to that name, in the same transaction as its tracking position: a crash never
loses nor doubles a queued delivery. It keeps its own endpoints and a small lookup model
(orgs, users, memberships, entities) filled in log order, so payloads never depend on another
projection's lag. Delivery workers (``infrastructure.webhooks.worker``) update the outbox rows'
state and own the attempt log and endpoint health tables created here.

Do not bump ``version`` casually: a rebuild from position 0 would queue every past event
again for every endpoint (receivers dedupe by delivery id, which is deterministic).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import msgspec
from eventsourcing.utils import get_topic

from application.webhook_catalogue import Binding, Published, bindings
from domain.activities import Activity
from domain.api_tokens import ApiToken
from domain.chapters import Chapter
from domain.collections import Collection
from domain.courses import Course
from domain.enrollments import Enrollment
from domain.memberships import Membership
from domain.orgs import Org
from domain.users import User
from domain.webhooks import WebhookEndpoint as W
from infrastructure.bulk_sql import in_list, insert_rows, slices
from infrastructure.event_store import LoggedEvent
from infrastructure.read_store import Row, Tx
from projections.engine.framework import Handler, Projection

PING_MESSAGE = "This is a test webhook event from learnstream."

# Entities the payloads name: (event class, action, kind, extra attributes)
_TRACKED: list[tuple[type, str, str, tuple[str, ...]]] = [
    (Course.CourseCreated, "create", "course", ()),
    (Course.CourseUpdated, "update", "course", ()),
    (Course.CourseDeleted, "delete", "course", ()),
    (Chapter.ChapterCreated, "create", "chapter", ()),
    (Chapter.ChapterUpdated, "update", "chapter", ()),
    (Chapter.ChapterDeleted, "delete", "chapter", ()),
    (Activity.ActivityCreated, "create", "activity", ("activity_type",)),
    (Activity.ActivityUpdated, "update", "activity", ("activity_type",)),
    (Activity.ActivityRestored, "update", "activity", ("activity_type",)),
    (Activity.ActivityDeleted, "delete", "activity", ()),
    (Collection.CollectionCreated, "create", "collection", ()),
    (Collection.CollectionUpdated, "update", "collection", ()),
    (Collection.CollectionDeleted, "delete", "collection", ()),
    (Enrollment.CourseEnrolled, "create", "enrollment", ("user_id",)),
    (ApiToken.ApiTokenIssued, "create", "api_token", ("token_prefix",)),
    (ApiToken.ApiTokenUpdated, "update", "api_token", ()),
    (ApiToken.ApiTokenRegenerated, "update", "api_token", ("token_prefix",)),
]


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


class _EntityMemo:
    LIMIT = 20_000

    def __init__(self) -> None:
        self._rows: dict[str, dict[str, Any]] = {}

    def get(self, entity_uuid: str) -> dict[str, Any] | None:
        return self._rows.get(entity_uuid)

    def remember(self, entity_uuid: str, row: dict[str, Any]) -> None:
        if len(self._rows) >= self.LIMIT:
            self._rows.pop(next(iter(self._rows)))  # the oldest remembered
        self._rows[entity_uuid] = row

    def forget(self, entity_uuid: str) -> None:
        self._rows.pop(entity_uuid, None)

    def clear(self) -> None:
        self._rows.clear()


class TxLookups:
    def __init__(self, tx: Tx, projection: WebhookPublisher) -> None:
        self._tx = tx
        self._p = projection

    def org_id(self, org_uuid: str) -> int | None:
        known = self._p.org_ids.get(org_uuid)  # an org's numeric id never changes
        if known is not None:
            return known
        row = self._tx.fetchone(f"SELECT id FROM {self._p.table('orgs')} WHERE org_uuid = ?", (org_uuid,))
        if row is None:
            return None
        self._p.org_ids[org_uuid] = int(row["id"])
        return int(row["id"])

    def user(self, user_uuid: str) -> dict[str, Any] | None:
        return self._tx.fetchone(
            f"SELECT email, username FROM {self._p.table('users')} WHERE user_uuid = ?", (user_uuid,)
        )

    def entity(self, entity_uuid: str) -> dict[str, Any] | None:
        known = self._p.entities.get(entity_uuid)
        if known is not None:
            return known
        row = self._tx.fetchone(
            f"SELECT kind, org_uuid, course_uuid, name, extra FROM {self._p.table('entities')}"
            " WHERE entity_uuid = ?",
            (entity_uuid,),
        )
        if row is not None:
            row["extra"] = json.loads(row["extra"])
            self._p.entities.remember(entity_uuid, row)
        return row

    def membership(self, membership_id: str) -> tuple[str, str] | None:
        row = self._tx.fetchone(
            f"SELECT org_uuid, user_uuid FROM {self._p.table('memberships')} WHERE membership_id = ?",
            (membership_id,),
        )
        return (row["org_uuid"], row["user_uuid"]) if row else None


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
    indexes = (
        "CREATE INDEX IF NOT EXISTS {endpoints}_org ON {endpoints} (org_uuid)",
        "CREATE INDEX IF NOT EXISTS {deliveries}_due ON {deliveries} (status, due_ms)",
        "CREATE INDEX IF NOT EXISTS {deliveries}_endpoint ON {deliveries} (endpoint_uuid, position)",
        "CREATE INDEX IF NOT EXISTS {attempts}_endpoint ON {attempts} (endpoint_uuid, attempt_id)",
    )

    def __init__(self, store: Any) -> None:
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
        self.org_ids: dict[str, int] = {}
        # Entity rows this projection wrote or read (a query inside a pipelined batch makes it
        # wait for every statement before it); forgotten on every change to the row, with the
        # endpoint memos, and bounded.
        self.entities = _EntityMemo()
        # Hand-off of fresh deliveries to this process's delivery worker (see ``hand_fresh_to``).
        self._handoff: FreshHandOff | None = None
        self._handed: list[tuple[FreshHandOff, FreshDelivery]] = []

    def resumed(self) -> None:
        self._forget_endpoints()  # another process may have changed endpoints meanwhile
        self.entities.clear()

    def rolled_back(self) -> None:
        self._forget_endpoints()
        self.entities.clear()
        self._handed = []

    def hand_fresh_to(self, handoff: FreshHandOff | None) -> None:
        """Give this process's delivery worker the deliveries this follower queues, after the
        commit, instead of making it find them with a claim query (one round trip and a
        wake-up less between an event and its receiver). ``None`` stops handing over.

        A handed-over row is written leased to that worker (``handoff.lease_until_ms()``), so
        no other worker claims it meanwhile; it goes to the very worker that leased it, even if
        that one is stopping by then (it gives back what it will not send). Should the process
        die first, the row becomes due when the lease runs out, like any claimed row."""
        self._handoff = handoff

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
        if self._handed:
            handed, self._handed = self._handed, []
            by_target: dict[int, tuple[FreshHandOff, list[FreshDelivery]]] = {}
            for target, fresh in handed:
                by_target.setdefault(id(target), (target, []))[1].append(fresh)
            for target, deliveries in by_target.values():
                target.take(deliveries)
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
            Org.OrgCreated: [self._org_created],
            User.UserRegistered: [self._user_registered],
            User.UserProfileUpdated: [self._user_updated],
            Membership.UserJoinedOrg: [self._joined],
            W.WebhookEndpointCreated: [self._endpoint_created],
            W.WebhookEndpointUpdated: [self._endpoint_updated],
            W.WebhookSecretRotated: [self._secret_rotated],
            W.WebhookEndpointDisabled: [self._endpoint_disabled],
            W.WebhookEndpointDeleted: [self._endpoint_deleted],
            W.WebhookPingRequested: [self._ping],
            W.WebhookReplayRequested: [self._replay_requested],
        }
        for cls, action, kind, extra in _TRACKED:
            chains.setdefault(cls, []).append(self._tracker(action, kind, extra))
        self.bindings: dict[type, list[Binding]] = {}
        for binding in bindings():
            self.bindings.setdefault(binding.cls, []).append(binding)
            chains.setdefault(binding.cls, []).append(self._publish)
        return {cls: _chain(fns) for cls, fns in chains.items()}

    # -- lookups ----------------------------------------------------------------------------
    def _org_created(self, tx: Tx, logged: LoggedEvent) -> None:
        tx.execute(
            f"INSERT INTO {self.table('orgs')} (org_uuid, id) VALUES (?, ?)",
            (str(logged.event.originator_id), logged.position),
        )

    def _user_registered(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        tx.execute(
            f"INSERT INTO {self.table('users')} (user_uuid, id, email, username) VALUES (?, ?, ?, ?)",
            (str(e.originator_id), logged.position, e.email, e.username),
        )

    def _user_updated(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        for column in ("email", "username"):
            if column in e.changes:
                tx.execute(
                    f"UPDATE {self.table('users')} SET {column} = ? WHERE user_uuid = ?",
                    (e.changes[column], str(e.originator_id)),
                )

    def _joined(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        tx.execute(
            f"INSERT INTO {self.table('memberships')} (membership_id, org_uuid, user_uuid)"
            " VALUES (?, ?, ?) ON CONFLICT (membership_id) DO NOTHING",
            (str(e.originator_id), str(e.org_id), str(e.user_id)),
        )

    def _tracker(self, action: str, kind: str, extra_attrs: tuple[str, ...]) -> Handler:
        table = self.table("entities")

        def track(tx: Tx, logged: LoggedEvent) -> None:
            e: Any = logged.event
            uuid = str(e.originator_id)
            if action == "create":
                course = uuid if kind == "course" else str(getattr(e, "course_id", ""))
                extra = {_plain(a): str(getattr(e, a, "")) for a in extra_attrs}
                name = str(getattr(e, "name", ""))
                tx.execute(
                    f"INSERT INTO {table} (entity_uuid, kind, org_uuid, course_uuid, name, extra,"
                    " deleted) VALUES (?, ?, ?, ?, ?, ?, 0) ON CONFLICT (entity_uuid) DO NOTHING",
                    (uuid, kind, str(e.org_id), course, name, json.dumps(extra)),
                )
                # An aggregate is created once, so this is the row (a conflict could only be
                # this very event applied again, which the tracking row rules out).
                self.entities.remember(uuid, {
                    "kind": kind, "org_uuid": str(e.org_id), "course_uuid": course,
                    "name": name, "extra": extra,
                })
            elif action == "delete":
                self.entities.forget(uuid)
                tx.execute(f"UPDATE {table} SET deleted = 1 WHERE entity_uuid = ?", (uuid,))
            else:
                changes = dict(getattr(e, "changes", None) or getattr(e, "state", None) or {})
                for attr in extra_attrs:
                    if hasattr(e, attr):
                        changes[attr] = getattr(e, attr)
                row = TxLookups(tx, self).entity(uuid)
                if row is None:
                    return
                extra = dict(row["extra"])
                extra.update({_plain(a): str(changes[a]) for a in extra_attrs if a in changes})
                updated = {**row, "name": str(changes.get("name", row["name"])), "extra": extra}
                tx.execute(
                    f"UPDATE {table} SET name = ?, extra = ? WHERE entity_uuid = ?",
                    (updated["name"], json.dumps(extra), uuid),
                )
                self.entities.remember(uuid, updated)

        return track

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
                str(e.originator_id), logged.position, str(e.org_id), e.url, e.description,
                json.dumps(e.events), e.secret_ciphertext,
                str(e.created_by) if e.created_by else None, when, when,
            ),
        )
        tx.execute(
            f"INSERT INTO {self.table('entities')} (entity_uuid, kind, org_uuid, course_uuid, name,"
            " extra, deleted) VALUES (?, 'webhook', ?, '', ?, ?, 0)",
            (str(e.originator_id), str(e.org_id), e.url, "{}"),
        )

    def _set_endpoint(self, tx: Tx, logged: LoggedEvent, values: dict[str, Any]) -> None:
        self._forget_endpoints()
        self._unhand(tx, str(logged.event.originator_id))  # type: ignore[attr-defined]
        assigns = ", ".join(f"{k} = ?" for k in values)
        tx.execute(
            f"UPDATE {self.table('endpoints')} SET {assigns}, update_date = ? WHERE endpoint_uuid = ?",
            (*values.values(), iso_z(logged.event.timestamp), str(logged.event.originator_id)),  # type: ignore[attr-defined]
        )

    def _unhand(self, tx: Tx, endpoint_uuid: str) -> None:
        """The endpoint changed in this batch: its deliveries queued earlier in the batch are
        not handed over with the old url/secret/state but left due, for a claim to judge."""
        mine = [d.delivery_id for _, d in self._handed if d.endpoint["endpoint_uuid"] == endpoint_uuid]
        if not mine:
            return
        self._handed = [(t, d) for t, d in self._handed if d.endpoint["endpoint_uuid"] != endpoint_uuid]
        for some in slices(mine):
            due, ids = in_list(self.store.dialect, "delivery_id", some, "text")
            tx.execute(f"UPDATE {self.table('deliveries')} SET due_ms = 0 WHERE {due}", ids)
        self._queued = True

    def _endpoint_updated(self, tx: Tx, logged: LoggedEvent) -> None:
        changes = dict(logged.event.changes)  # type: ignore[attr-defined]
        uuid = str(logged.event.originator_id)
        if "events" in changes:
            changes["events"] = json.dumps(changes["events"])
        if "is_active" in changes:
            changes["is_active"] = int(bool(changes["is_active"]))
            if changes["is_active"]:
                changes["disabled_reason"] = None
                self._queued = True  # its pending deliveries are due again
                tx.execute(f"DELETE FROM {self.table('health')} WHERE endpoint_uuid = ?", (uuid,))
        if "url" in changes:
            self.entities.forget(uuid)
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
        tx.execute(
            f"UPDATE {self.table('deliveries')} SET status = 'cancelled'"
            " WHERE endpoint_uuid = ? AND status = 'pending'",
            (str(logged.event.originator_id),),
        )

    def _ping(self, tx: Tx, logged: LoggedEvent) -> None:
        endpoint = self.endpoint(tx, str(logged.event.originator_id))
        if endpoint is None or endpoint["deleted"]:
            return
        published = Published(endpoint["org_uuid"], {"message": PING_MESSAGE})
        self.enqueue(tx, [endpoint], "ping", logged, published)

    def _replay_requested(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        tx.execute(
            f"INSERT INTO {self.table('replays')} (replay_id, endpoint_uuid, since, until, events,"
            " upto, cursor, done, queued) VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0)",
            (
                f"rpl_{logged.position}", str(e.originator_id), e.since, e.until,
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
        lookups = TxLookups(tx, self)
        for binding in self.bindings.get(type(logged.event), ()):
            result = binding.build(lookups, logged.event)
            if result is not None:
                out.append((binding.name, result))
        return out

    def _publish(self, tx: Tx, logged: LoggedEvent) -> None:
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
        org_id = TxLookups(tx, self).org_id(result.org_uuid) or 0
        when = iso_z(logged.event.timestamp)  # type: ignore[attr-defined]
        # Replays are queued by the worker itself, outside this follower: never handed over.
        target = self._handoff
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
            tx, self.store.dialect, self.table("deliveries"),
            ("delivery_id", "endpoint_uuid", "org_uuid", "event_name", "position", "payload",
             "status", "attempts", "due_ms", "replayed", "created_at", "updated_ms"),
            ("text", "text", "text", "text", "bigint", "text", "text", "int", "bigint", "int",
             "text", "bigint"),
            rows,
            suffix="ON CONFLICT (delivery_id) DO NOTHING",
        )
        # Handed-over rows need no wake-up: the worker gets them at commit.
        self._queued = self._queued or (bool(rows) and lease is None)
        return len(rows)


def _plain(attr: str) -> str:
    return "user_uuid" if attr == "user_id" else attr


def _chain(fns: list[Handler]) -> Handler:
    if len(fns) == 1:
        return fns[0]

    def run(tx: Tx, logged: LoggedEvent) -> None:
        for fn in fns:
            fn(tx, logged)

    return run

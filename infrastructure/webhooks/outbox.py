"""SQL over the webhook outbox: claiming due deliveries, recording attempts, replays.

Claims are leases: a claimed row's ``due_ms`` moves ``lease`` into the future, so a worker that
dies mid-send leaves rows that become due again (at-least-once, same ``delivery_id``). On
PostgreSQL the claim takes ``FOR UPDATE SKIP LOCKED`` so several workers share the outbox
without waiting on each other; on SQLite ``BEGIN IMMEDIATE`` serialises claimers.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from infrastructure.bulk_sql import (
    SQLITE_ROWS_PER_STATEMENT,
    in_list,
    insert_rows,
    slices,
    update_rows,
)
from infrastructure.event_store import EventStore
from infrastructure.read_store import Row, Tx
from infrastructure.webhooks.sender import SendResult
from projections.webhook_deliveries import FreshDelivery, iso_z
from projections.webhook_publisher import WebhookPublisher

#: seconds before retry n (after attempt n failed): about 2.2 days of retries, then failed
SCHEDULE: tuple[int, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000, 86400)
DAY_MS = 86_400_000


@dataclass(frozen=True)
class Claimed:
    delivery_id: str
    endpoint_uuid: str
    org_uuid: str
    url: str
    event_name: str
    payload: str
    attempts: int
    replayed: bool
    secret: str
    previous_secret: str
    previous_valid_until: str

    @classmethod
    def fresh(cls, d: FreshDelivery) -> Claimed:
        ep = d.endpoint
        return cls(
            d.delivery_id, ep["endpoint_uuid"], d.org_uuid, ep["url"], d.event_name, d.payload, 0,
            False, ep["secret"], ep["previous_secret"], ep["previous_valid_until"],
        )


class Outbox:
    def __init__(
        self,
        publisher: WebhookPublisher,
        schedule: Sequence[int] = SCHEDULE,
        keep_attempts: int = 1000,
        disable_after_ms: int = 5 * DAY_MS,
        jitter: float = 0.1,
        rng: random.Random | None = None,
    ) -> None:
        self.publisher = publisher
        self.store = publisher.store
        self.schedule = tuple(schedule)
        self.keep_attempts = keep_attempts
        self.disable_after_ms = disable_after_ms
        self.jitter = jitter
        self.rng = rng or random.Random()
        self.t = {name: publisher.table(name) for name in publisher.tables}
        self._skip_locked = " FOR UPDATE OF d SKIP LOCKED" if self.store.dialect == "postgres" else ""
        self._on_work: list[Callable[[], None]] = []
        self._untrimmed: dict[str, int] = {}  # attempts logged per endpoint since its last trim

    def on_work(self, listener: Callable[[], None]) -> None:
        """``listener()`` runs when deliveries become due in this process: the publisher
        queued some (after its commit), or one was redelivered."""
        self._on_work.append(listener)
        self.publisher.on_queued(listener)

    def retry_delay_ms(self, attempt: int) -> int:
        """Delay after failed attempt ``attempt`` (1-based), with ±jitter."""
        base = self.schedule[attempt - 1] * 1000
        return int(base * (1 + self.rng.uniform(-self.jitter, self.jitter)))

    # -- claiming ---------------------------------------------------------------------------
    def claim(
        self,
        now_ms: int,
        limit: int,
        inflight: Mapping[str, int] | None = None,
        per_endpoint: int = 1_000_000,
        lease_ms: int = 30_000,
    ) -> list[Claimed]:
        """Lease up to ``limit`` due deliveries, at most ``per_endpoint`` in flight per endpoint.

        Rows over an endpoint's quota are left alone (not leased), so they stay due for the
        next claim instead of waiting out a lease.
        """
        if limit <= 0:
            return []
        limit = min(limit, SQLITE_ROWS_PER_STATEMENT)  # its lease is one IN list (SQLite's cap)
        inflight = dict(inflight or {})
        exclude = [e for e, n in inflight.items() if n >= per_endpoint]
        skip = ""
        if exclude:
            skip = f" AND d.endpoint_uuid NOT IN ({', '.join('?' for _ in exclude)})"
        with self.store.transaction() as tx:
            rows = tx.fetchall(
                "SELECT d.delivery_id, d.endpoint_uuid, d.org_uuid, d.event_name, d.payload, d.attempts,"
                " d.replayed, e.url, e.secret, e.previous_secret, e.previous_valid_until"
                f" FROM {self.t['deliveries']} d JOIN {self.t['endpoints']} e"
                " ON e.endpoint_uuid = d.endpoint_uuid"
                f" WHERE d.status = 'pending' AND d.due_ms <= ? AND e.is_active = 1{skip}"
                f" ORDER BY d.due_ms LIMIT ?{self._skip_locked}",
                (now_ms, *exclude, limit),
            )
            chosen = []
            for row in rows:
                if inflight.get(row["endpoint_uuid"], 0) < per_endpoint:
                    inflight[row["endpoint_uuid"]] = inflight.get(row["endpoint_uuid"], 0) + 1
                    chosen.append(row)
            rows = chosen
            if rows:
                leased, ids = in_list(self.store.dialect, "delivery_id", [r["delivery_id"] for r in rows], "text")
                tx.execute(
                    f"UPDATE {self.t['deliveries']} SET due_ms = ? WHERE {leased}",
                    (now_ms + lease_ms, *ids),
                )
        return [
            Claimed(
                r["delivery_id"], r["endpoint_uuid"], r["org_uuid"], r["url"], r["event_name"], r["payload"],
                int(r["attempts"]), bool(r["replayed"]), r["secret"], r["previous_secret"],
                r["previous_valid_until"],
            )
            for r in rows
        ]

    def release(self, delivery_ids: Sequence[str]) -> None:
        """Leased rows a stopping worker will not send: due again now, not when the lease ends."""
        if not delivery_ids:
            return
        with self.store.transaction() as tx:
            for some in slices(delivery_ids):
                ids_are, ids = in_list(self.store.dialect, "delivery_id", some, "text")
                tx.execute(
                    f"UPDATE {self.t['deliveries']} SET due_ms = 0 WHERE status = 'pending' AND {ids_are}",
                    ids,
                )

    def next_due_ms(self) -> int | None:
        row = self.store.fetchone(
            f"SELECT MIN(due_ms) AS due FROM {self.t['deliveries']} WHERE status = 'pending'"
        )
        return None if row is None or row["due"] is None else int(row["due"])

    # -- recording --------------------------------------------------------------------------
    def record(self, results: Sequence[tuple[Claimed, SendResult]], now_ms: int) -> list[tuple[str, int]]:
        """Log attempts and move deliveries on; returns endpoints to disable (uuid, since_ms).

        One pipelined transaction for the whole batch: attempts and delivery moves go as two
        bulk statements, endpoint health as one statement per endpoint (its latest result
        decides), and an endpoint's attempt log is trimmed every ``keep_attempts // 10``
        attempts rather than on each (it holds at most that many extra in between)."""
        when = iso_z(datetime.fromtimestamp(now_ms / 1000, UTC))
        attempts = []
        moves = []
        by_endpoint: dict[str, list[bool]] = {}
        for n, (claimed, result) in enumerate(results):
            attempt = claimed.attempts + 1
            by_endpoint.setdefault(claimed.endpoint_uuid, []).append(result.ok)
            attempts.append((
                f"{now_ms:014d}{n:06d}{uuid.uuid4().hex[:8]}", claimed.endpoint_uuid,
                claimed.delivery_id, claimed.event_name, attempt, int(result.ok),
                result.status, result.body, result.error, result.duration_ms,
                int(claimed.replayed), when,
            ))
            if result.ok:
                status, due = "succeeded", now_ms
            elif attempt > len(self.schedule):
                status, due = "failed", now_ms
            else:
                status, due = "pending", now_ms + self.retry_delay_ms(attempt)
            moves.append((status, attempt, due, now_ms, claimed.delivery_id))
        to_disable: list[tuple[str, int]] = []
        deliveries = self.t["deliveries"]
        dialect = self.store.dialect
        with self.store.transaction(pipelined=True) as tx:
            insert_rows(
                tx, dialect, self.t["attempts"],
                ("attempt_id", "endpoint_uuid", "delivery_id", "event_name", "attempt", "success",
                 "response_status", "response_body", "error", "duration_ms", "replayed", "created_at"),
                ("text", "text", "text", "text", "int", "int", "int", "text", "text", "int", "int", "text"),
                attempts,
            )
            update_rows(
                tx, dialect, deliveries, "delivery_id",
                ("status", "attempts", "due_ms", "updated_ms"), ("text", "int", "bigint", "bigint", "text"),
                moves, where=f"{deliveries}.status = 'pending'",
            )
            for endpoint_uuid, outcomes in by_endpoint.items():
                disable = self._health(tx, endpoint_uuid, outcomes, now_ms)
                if disable is not None:
                    to_disable.append((endpoint_uuid, disable))
                self._untrimmed[endpoint_uuid] = self._untrimmed.get(endpoint_uuid, 0) + len(outcomes)
                if self._untrimmed[endpoint_uuid] >= max(1, self.keep_attempts // 10):
                    self._untrimmed[endpoint_uuid] = 0
                    self._trim(tx, endpoint_uuid)
        return to_disable

    def _health(self, tx: Tx, endpoint_uuid: str, outcomes: list[bool], now_ms: int) -> int | None:
        """An endpoint fails continuously from its first failure after its last success."""
        table = self.t["health"]
        if any(outcomes):
            # A success in this batch: healthy, or failing since now if it failed after it.
            since = None if outcomes[-1] else now_ms
            tx.execute(
                f"INSERT INTO {table} (endpoint_uuid, failing_since_ms, disable_requested)"
                " VALUES (?, ?, 0) ON CONFLICT (endpoint_uuid) DO UPDATE SET"
                " failing_since_ms = excluded.failing_since_ms, disable_requested = 0",
                (endpoint_uuid, since),
            )
            return None
        row = tx.fetchone(f"SELECT * FROM {table} WHERE endpoint_uuid = ?", (endpoint_uuid,))
        if row is None or row["failing_since_ms"] is None:
            tx.execute(
                f"INSERT INTO {table} (endpoint_uuid, failing_since_ms, disable_requested)"
                " VALUES (?, ?, 0) ON CONFLICT (endpoint_uuid) DO UPDATE SET"
                " failing_since_ms = excluded.failing_since_ms, disable_requested = 0",
                (endpoint_uuid, now_ms),
            )
            return None
        since = int(row["failing_since_ms"])
        if now_ms - since >= self.disable_after_ms and not row["disable_requested"]:
            tx.execute(
                f"UPDATE {table} SET disable_requested = 1 WHERE endpoint_uuid = ?", (endpoint_uuid,)
            )
            return since
        return None

    def _trim(self, tx: Tx, endpoint_uuid: str) -> None:
        table = self.t["attempts"]
        # One statement (no read in between: pipelines stay unsynced).
        tx.execute(
            f"DELETE FROM {table} WHERE endpoint_uuid = ? AND attempt_id <= (SELECT attempt_id"
            f" FROM {table} WHERE endpoint_uuid = ? ORDER BY attempt_id DESC LIMIT 1 OFFSET ?)",
            (endpoint_uuid, endpoint_uuid, self.keep_attempts),
        )

    def forget_disable_request(self, endpoint_uuid: str) -> None:
        with self.store.transaction() as tx:
            tx.execute(
                f"UPDATE {self.t['health']} SET disable_requested = 0 WHERE endpoint_uuid = ?",
                (endpoint_uuid,),
            )

    def prune(self, older_than_ms: int) -> int:
        with self.store.transaction() as tx:
            return tx.execute(
                f"DELETE FROM {self.t['deliveries']} WHERE status <> 'pending' AND updated_ms < ?",
                (older_than_ms,),
            )

    # -- management -------------------------------------------------------------------------
    def redeliver(self, endpoint_uuid: str, delivery_id: str) -> bool:
        """Due now, with at least one more attempt; the same delivery id is sent again."""
        with self.store.transaction() as tx:
            due = tx.execute(
                f"UPDATE {self.t['deliveries']} SET status = 'pending', due_ms = 0,"
                " attempts = CASE WHEN attempts > ? THEN ? ELSE attempts END"
                " WHERE delivery_id = ? AND endpoint_uuid = ? AND status <> 'cancelled'",
                (len(self.schedule), len(self.schedule), delivery_id, endpoint_uuid),
            ) == 1
        if due:
            for listener in list(self._on_work):
                listener()
        return due

    def attempts(self, endpoint_uuid: str, limit: int) -> list[Row]:
        return self.store.fetchall(
            "SELECT a.*, d.status AS delivery_status, d.payload AS request_payload"
            f" FROM {self.t['attempts']} a LEFT JOIN {self.t['deliveries']} d"
            " ON d.delivery_id = a.delivery_id WHERE a.endpoint_uuid = ?"
            " ORDER BY a.attempt_id DESC LIMIT ?",
            (endpoint_uuid, limit),
        )

    def delivery(self, delivery_id: str) -> Row | None:
        return self.store.fetchone(
            f"SELECT * FROM {self.t['deliveries']} WHERE delivery_id = ?", (delivery_id,)
        )

    # -- replays ----------------------------------------------------------------------------
    def replay_step(self, events: EventStore, batch: int = 500) -> bool:
        """Backfill one batch of one pending replay; False when no replay is pending."""
        lock = " FOR UPDATE SKIP LOCKED" if self.store.dialect == "postgres" else ""
        with self.store.transaction() as tx:
            job = tx.fetchone(
                f"SELECT * FROM {self.t['replays']} WHERE done = 0 ORDER BY replay_id LIMIT 1{lock}"
            )
            if job is None:
                return False
            self._replay_batch(tx, job, events, batch)
            return True

    def _replay_batch(self, tx: Tx, job: Row, events: EventStore, batch: int) -> None:
        publisher = self.publisher
        endpoint = publisher.endpoint(tx, job["endpoint_uuid"])
        upto = int(job["upto"])
        names = set(json.loads(job["events"])) or set(json.loads(endpoint["events"]) if endpoint else [])
        since = _parse(job["since"])
        until = _parse(job["until"]) if job["until"] else None
        topics = sorted(publisher.replay_topics())
        logged = events.read(int(job["cursor"]), batch, topics=topics) if endpoint else []
        queued = 0
        cursor = int(job["cursor"])
        for item in logged:
            if item.position >= upto:
                cursor = upto
                break
            cursor = item.position
            moment = item.event.timestamp  # type: ignore[attr-defined]
            if moment < since or (until is not None and moment >= until):
                continue
            for name, result in publisher.published(tx, item):
                if name in names and result.org_uuid == endpoint["org_uuid"]:  # type: ignore[index]
                    queued += publisher.enqueue(tx, [endpoint], name, item, result, job["replay_id"])  # type: ignore[list-item]
        done = endpoint is None or endpoint["deleted"] or cursor >= upto or len(logged) < batch
        tx.execute(
            f"UPDATE {self.t['replays']} SET cursor = ?, done = ?, queued = queued + ?"
            " WHERE replay_id = ?",
            (cursor, int(bool(done)), queued, job["replay_id"]),
        )


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment

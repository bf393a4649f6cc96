"""Metrics read from the stores when ``/metrics`` is scraped: read-model lag and outbox depth.

These are facts of the database, not of a process, so they are not counted in memory: any
process reports the same values, whichever one a scrape reaches. A scrape costs one query for
the log's head, the tracking rows of projections another process follows, one event read per
lagging position and one count over the outbox's ``(status, due_ms)`` index, and its result
is kept for ``cache_seconds`` so a tight scrape interval cannot turn into load.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from infrastructure.event_store import EventStore
from infrastructure.webhooks.outbox import Outbox
from projections.engine.framework import Projection
from projections.engine.positions import PositionBoard

log = logging.getLogger("learnstream.metrics")


@dataclass(frozen=True)
class StateSample:
    head: int
    #: per projection: (events behind the head, seconds the oldest unapplied event has waited)
    lag: dict[str, tuple[int, float]]
    #: pending deliveries (None when the outbox cannot be read, e.g. its tables do not exist yet)
    outbox_pending: int | None
    outbox_due: int | None


class StateCollector(Collector):
    def __init__(
        self,
        events: EventStore,
        board: PositionBoard,
        projections: Mapping[str, Projection],
        outbox: Outbox,
        cache_seconds: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.events = events
        self.board = board
        self.projections = projections
        self.outbox = outbox
        self.cache_seconds = cache_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._sample: StateSample | None = None
        self._taken = 0.0

    def sample(self) -> StateSample:
        with self._lock:  # concurrent scrapes share one reading
            if self._sample is None or time.monotonic() - self._taken >= self.cache_seconds:
                self._sample = self._read()
                self._taken = time.monotonic()
            return self._sample

    def _read(self) -> StateSample:
        head = self.events.last_position()
        now = self.clock()
        waited: dict[int, float] = {}
        lag: dict[str, tuple[int, float]] = {}
        for name in self.projections:
            position = min(self.board.position(name), head)
            if position >= head:
                lag[name] = (0, 0.0)
                continue
            if position not in waited:
                waited[position] = self._waited(position, now)
            lag[name] = (head - position, waited[position])
        pending, due = self._outbox(now)
        return StateSample(head, lag, pending, due)

    def _waited(self, position: int, now: float) -> float:
        """How long the first event after ``position`` has been in the log (0 if unreadable)."""
        try:
            entries = self.events.read_raw(position, 1)
            stamp = getattr(self.events.decode(entries[0]), "timestamp", None) if entries else None
        except Exception:
            log.warning("reading the event after position %s failed", position, exc_info=True)
            return 0.0
        return max(0.0, now - stamp.timestamp()) if isinstance(stamp, datetime) else 0.0

    def _outbox(self, now: float) -> tuple[int | None, int | None]:
        table = self.outbox.t["deliveries"]
        try:
            row = self.outbox.store.fetchone(
                "SELECT COUNT(*) AS pending, COALESCE(SUM(CASE WHEN due_ms <= ? THEN 1 ELSE 0 END), 0)"
                f" AS due FROM {table} WHERE status = 'pending'",
                (int(now * 1000),),
            )
        except Exception:
            log.debug("outbox not readable (yet)", exc_info=True)
            return None, None
        if row is None:
            return 0, 0
        return int(row["pending"]), int(row["due"])

    def collect(self) -> Iterator[GaugeMetricFamily]:
        sample = self.sample()
        yield GaugeMetricFamily(
            "learnstream_event_log_head", "Position of the last event in the log.", value=sample.head
        )
        events = GaugeMetricFamily(
            "learnstream_projection_lag_events",
            "Events in the log that a read model has not applied yet.",
            labels=["projection"],
        )
        seconds = GaugeMetricFamily(
            "learnstream_projection_lag_seconds",
            "How long the oldest event a read model has not applied has been in the log (0 when"
            " caught up).",
            labels=["projection"],
        )
        for name, (behind, waited) in sorted(sample.lag.items()):
            events.add_metric([name], behind)
            seconds.add_metric([name], round(waited, 3))
        yield events
        yield seconds
        if sample.outbox_pending is not None:
            yield GaugeMetricFamily(
                "learnstream_webhook_outbox_depth",
                "Webhook deliveries waiting to be sent (due now, leased or scheduled for a retry).",
                value=sample.outbox_pending,
            )
            yield GaugeMetricFamily(
                "learnstream_webhook_outbox_due",
                "Webhook deliveries due now and not yet claimed by a worker.",
                value=sample.outbox_due or 0,
            )

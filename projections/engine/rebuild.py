"""Rebuilds: read models made again from the whole log, in bulk, beside the live tables.

One pass over the log serves every projection being rebuilt: each batch of a few thousand
entries is read once (only the topics some member handles, up to the log's head as it was at
the start), each event decoded at most once (when a handler first asks), and applied to every
member with the same handlers the live followers run, through ``Writes``, so rows go out in
bulk (``COPY`` or ``json_to_recordset`` on PostgreSQL, ``executemany`` on SQLite): thousands of
events per transaction, one statement per table and kind. The shadow tables get their secondary
indexes (GIN, B-tree) after the fill (``rebuild_state``). Progress is saved with every batch,
so an interrupted rebuild resumes; the live tables serve until the switch, so no reader sees a
half-built model.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from typing import Any

from infrastructure.bulk_collection import bulk_collection
from infrastructure.event_store import EventStore, LoggedEvent
from infrastructure.read_store import ReadStore
from projections.engine.batch_writes import BatchWrites
from projections.engine.deferred_writes import BatchWriter, DeferredTx
from projections.engine.framework import Projection, ensure_tracking
from projections.engine.rebuild_state import (
    REPLAY,
    RebuildRow,
    begin,
    discard,
    live_versions,
    move,
    pending,
    switch,
    tracked_position,
)

log = logging.getLogger("learnstream.rebuild")
#: the switch waits this long for a table lock, then lets readers go on and tries again
SWITCH_LOCK_WAIT_MS = 50
SWITCH_ATTEMPTS = 200
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's lock_timeout


@dataclass
class Progress:
    """Where a rebuild stands: ``position`` of ``target`` (log positions, events ignored by
    every member included), ``rate`` in log events per second, ``eta`` in seconds."""

    phase: str  # "fill", "indexes", "switch", "done"
    names: tuple[str, ...]
    position: int
    target: int
    started_at: int
    elapsed: float

    @property
    def rate(self) -> float:
        done = self.position - self.started_at
        return done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        rate = self.rate
        return (self.target - self.position) / rate if rate > 0 else None


class LoggedProgress:
    """Progress as log lines: every ``every`` seconds while filling, and at each phase."""

    def __init__(self, names: str, every: float = 10.0) -> None:
        self._names, self._every, self._last = names, every, time.monotonic()

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        if progress.phase == "fill" and now - self._last < self._every:
            return
        self._last = now
        eta = progress.eta
        log.info(
            "rebuilding %s: %s, position %s of %s, %.0f events/s, %s left", self._names, progress.phase,
            progress.position, progress.target, progress.rate, "?" if eta is None else f"{eta:.0f}s",
        )


class Interrupted(Exception):
    """The rebuild was asked to stop; what it built so far is saved and resumes next time."""


@dataclass
class _Member:
    live: Projection
    clone: Projection
    row: RebuildRow
    topics: frozenset[str]

    @property
    def position(self) -> int:
        return self.row.position


class Rebuild:
    """Rebuild ``projections`` (live instances) into fresh tables and switch to them.

    ``kind``: who owns the rebuild (``rebuild_state.REPLAY`` or ``FOLLOWER``). ``restart``
    discards a rebuild left half-done instead of resuming it. ``stop``: set it to interrupt
    (between batches). ``around_switch``: what surrounds each member's switch. ``spare_core``
    (SQLite): a core is free for this process's writer thread (not so when a replay's
    processes already take every core).
    """

    def __init__(
        self,
        events: EventStore,
        projections: Sequence[Projection],
        *,
        kind: str = REPLAY,
        batch_size: int = 2_500,
        restart: bool = False,
        progress: Callable[[Progress], None] | None = None,
        stop: threading.Event | None = None,
        around_switch: Callable[[Projection], AbstractContextManager[None]] | None = None,
        spare_core: bool = True,
    ) -> None:
        if not projections:
            raise ValueError("nothing to rebuild")
        self.events = events
        self.store: ReadStore = projections[0].store
        self.projections = list(projections)
        self.kind = kind
        self.batch_size = batch_size
        self.restart = restart
        self.progress = progress
        self.stop = stop or threading.Event()
        # A follower loop pauses the projection's live follower around its switch.
        self.around_switch = around_switch or (lambda projection: nullcontext())
        self.members: list[_Member] = []
        self._writer = BatchWriter(self.store)
        # Batches written from a thread of their own, only in a replay (a process of its own).
        # Beside a serving API (a version bump) a third busy thread cost the API's reads their
        # interpreter turns: list and search p99 during a rebuild went from 43 and 92 ms to
        # 133 and 215 ms. On SQLite the thread writes in this process, so it needs a core of
        # its own: two replay processes on two cores took 27.9 s with it, 21.4-24.3 s without.
        self._defer = kind == REPLAY and (self.store.dialect == "postgres" or spare_core)
        self._started_at = 0
        self._clock = 0.0

    # -- the whole run ----------------------------------------------------------------------
    def run(self) -> dict[str, int]:
        """Rebuild and switch; returns each projection's live position afterwards."""
        self.prepare()
        target = self.events.last_position()
        self.fill(target)
        self.finish_tables()
        return self.switch_all()

    def prepare(self) -> None:
        ensure_tracking(self.store)
        for projection in self.projections:
            row = pending(self.store, projection)
            if row is not None and self.restart:
                discard(projection, row)
                row = None
            if row is None:
                versions = live_versions(self.store, projection.name)
                quiet = max(versions.values(), default=0)
                row, clone = begin(projection, self.kind, quiet)
            else:
                clone = projection.rebuild_clone(row.tag)
            clone.quiet_until = row.quiet_until
            self.members.append(_Member(projection, clone, row, clone.topics))
        self._started_at = min(m.position for m in self.members)
        self._clock = time.monotonic()

    # -- fill -------------------------------------------------------------------------------
    def _report(self, phase: str, position: int, target: int) -> None:
        if self.progress is not None:
            self.progress(Progress(
                phase, tuple(m.live.name for m in self.members), position, target,
                self._started_at, time.monotonic() - self._clock,
            ))

    def fill(self, target: int) -> int:
        """Apply the log up to ``target`` (the head when the rebuild started)."""
        start = min(m.position for m in self.members)
        self.stop_reading = False
        if start >= target:
            self._report("fill", target, target)
            return target
        topics = sorted(frozenset().union(*(m.topics for m in self.members)))
        batches: queue.Queue[Any] = queue.Queue(maxsize=2)
        reader = threading.Thread(
            target=self._read_ahead, args=(start, target, topics, batches), name="rebuild-read", daemon=True
        )
        reader.start()
        position = start
        with bulk_collection():
            try:
                while position < target:
                    if self.stop.is_set():
                        self.drain()  # what was handed over is saved before the stop is reported
                        raise Interrupted(f"stopped at position {position}")
                    item = batches.get()
                    if isinstance(item, BaseException):
                        raise item
                    notifications, upto = item
                    self.apply(notifications, upto)
                    position = upto
                    self._report("fill", position, target)
                self.drain()
            finally:
                self.stop_reading = True
                while reader.is_alive():  # unblock a reader waiting to put its next batch
                    with contextlib.suppress(queue.Empty):
                        batches.get(timeout=0.05)
                if self._writer.busy:
                    with contextlib.suppress(BaseException):  # already failing or stopping
                        self.drain()
                self._writer.close()
        return position

    stop_reading = False

    def _read_ahead(self, start: int, target: int, topics: list[str], out: queue.Queue[Any]) -> None:
        """Reads the next batch while the current one is applied (the database works while
        Python decodes and writes)."""
        after = start
        try:
            while after < target and not self.stop_reading:
                page = read_entries(self.events, after, self.batch_size, topics, target)
                # Fewer entries than asked: none of our topics up to the target.
                upto = page[-1].id if len(page) == self.batch_size else target
                out.put((page, upto))
                after = upto
        except BaseException as error:  # handed to the applying thread
            out.put(error)

    def apply(self, notifications: Sequence[Any], upto: int) -> None:
        """One transaction: every member's events of this batch, and every member's position.
        Its statements are written by ``BatchWriter`` while the next batch is worked out,
        unless a handler needed an answer from the database (then it commits here)."""
        decode = self.events.decode
        decoded = {n.id: LoggedEvent.stored_entry(n, decode) for n in notifications}
        shapes: dict[str, Any] = {}
        for m in self.members:
            shapes.update(m.clone.shapes())
        touched: list[_Member] = []
        moving = [m for m in self.members if m.position < upto]
        try:
            with DeferredTx(self.store, self._writer, defer=self._defer) as tx:
                # SQLite's bulk inserts pay off only written by the thread (``_json_insert``).
                bulk = self.store.dialect == "postgres" or self._defer
                writes = BatchWrites(tx, self.store.dialect, shapes, copy=bulk)
                for m in moving:
                    clone, start, topics = m.clone, m.position, m.topics
                    relevant = False
                    for n in notifications:
                        if n.id > start and n.topic in topics:
                            clone.apply(writes, decoded[n.id], n.topic)
                            relevant = True
                    if relevant:
                        clone.before_commit(writes)
                        touched.append(m)
                writes.flush()
                if tx.direct:
                    for m in moving:
                        move(tx, m.row, upto)
                else:
                    rows = [replace(m.row) for m in moving]  # as they are before this batch

                    def last(real: Any) -> None:
                        for row in rows:
                            move(real, row, upto)

                    self._writer.submit(tx.statements, last, lambda: _committed(touched))
        except BaseException:
            for m in self.members:
                m.clone.rolled_back()
            raise
        for m in moving:
            m.row.position = upto
        if tx.direct:
            _committed(touched)

    def drain(self) -> None:
        """Wait for the batch in flight (its error, if it failed, is raised here)."""
        try:
            self._writer.wait()
        except BaseException:
            for m in self.members:
                m.clone.rolled_back()
            raise

    # -- after the fill ---------------------------------------------------------------------
    def finish_tables(self) -> None:
        """Secondary indexes built in one pass each, then the tables analysed."""
        self._report("indexes", self._position(), self._position())
        for m in self.members:
            with self.store.transaction() as tx:
                for ddl in m.clone.index_ddl():
                    tx.execute(ddl)
            self.store.analyze(m.clone.derived_tables())

    def _position(self) -> int:
        return min(m.position for m in self.members)

    def catch_up(self) -> int:
        """Apply what was appended since the fill's target, in ordinary batches."""
        while True:
            head = self.events.last_position()
            if self._position() >= head:
                return head
            self.fill(head)

    def switch_all(self) -> dict[str, int]:
        head = self.catch_up()
        self._report("switch", head, head)
        out = {}
        for m in list(self.members):
            out[m.live.name] = self.switch_member(m)
        done = max(out.values(), default=head)
        self._report("done", done, done)
        return out

    def switch_member(self, m: _Member) -> int:
        """One transaction: bring the shadow tables to the live position if that is ahead,
        then make them the live tables (the live follower's next compare-and-set reloads).

        On PostgreSQL the switch takes its table locks with a short ``lock_timeout`` and tries
        again after a lock wait ran out: a query holding one of the live tables while waiting
        for another the switch already held made a deadlock, and PostgreSQL chose the query
        (seen: a search answered an error during a rebuild). Readers wait at most that long."""
        store = self.store
        for attempt in range(SWITCH_ATTEMPTS):
            before = m.row.position
            try:
                with self.around_switch(m.live), store.transaction() as tx:
                    if store.dialect == "postgres":
                        tx.execute(f"SET LOCAL lock_timeout = '{SWITCH_LOCK_WAIT_MS}ms'")
                    live = tracked_position(tx, store, m.live) or 0
                    if live > m.position:
                        self._apply_in(tx, m, live)
                    position = max(live, m.position)
                    switch(tx, m.live, m.clone, m.row, position)
            except BaseException as error:
                m.clone.rolled_back()
                m.row.position = before
                if getattr(error, "sqlstate", None) == LOCK_NOT_AVAILABLE and attempt + 1 < SWITCH_ATTEMPTS:
                    time.sleep(0.01 * (attempt + 1))
                    continue
                raise
            break
        self.members.remove(m)
        log.info("%s v%s rebuilt and switched at position %s", m.live.name, m.live.version, position)
        return position

    def _apply_in(self, tx: Any, m: _Member, upto: int) -> None:
        after = m.position
        writes = BatchWrites(tx, self.store.dialect, m.clone.shapes())
        relevant = False
        while after < upto:
            page = read_entries(self.events, after, self.batch_size, sorted(m.topics), upto)
            for n in page:
                m.clone.apply(writes, LoggedEvent.stored_entry(n, self.events.decode), n.topic)
                relevant = True
            after = page[-1].id if len(page) == self.batch_size else upto
        if relevant:
            m.clone.before_commit(writes)
        writes.flush()
        m.row.position = upto


def _committed(members: Sequence[_Member]) -> None:
    for m in members:
        m.clone.committed()


def read_entries(events: EventStore, after: int, limit: int, topics: Sequence[str], stop: int) -> Sequence[Any]:
    """Log entries after ``after`` up to ``stop`` of these topics (filtered by the database:
    entries no member handles are never transferred)."""
    return events.read_entries(after, limit, topics, stop)

"""Followers: the global log applied to projections, exactly once, batch by batch.

A ``Follower`` moves one projection: it reads the log after its saved position and applies
each batch in ONE read-store transaction that also moves its tracking row with a
compare-and-set, so a crash neither loses nor doubles a row and two followers of one
projection never both apply a batch. ``apply_batch`` writes one batch to several followers in
one transaction; ``FollowerLoop`` (``projections.engine.follower_loop``) decides which
followers go together.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from infrastructure.event_store import EventStore, LoggedEvent
from infrastructure.pg_positions import NOTIFY_STATEMENT, encode_positions
from projections.engine.batch_writes import BatchWrites
from projections.engine.framework import Projection, now_iso, prepare, saved_position
from projections.engine.lazy_tx import LazyTx
from projections.engine.log_tail import LogTail
from projections.engine.planner_statistics import PlannerStatistics
from projections.engine.positions import PositionBoard

log = logging.getLogger("learnstream.projections")

#: how long an advance over events a projection ignores may stay unsaved
PERSIST_IDLE_SECONDS = 0.5


class Follower:
    """Pulls the global log and applies it to one projection."""

    def __init__(
        self,
        projection: Projection,
        events: EventStore,
        board: PositionBoard | None = None,
        batch_size: int = 500,
    ) -> None:
        self.projection = projection
        self.events = events
        self.board = board
        self.batch_size = batch_size
        self.tail: LogTail | None = None  # set by FollowerLoop: entries read once per process
        self.statistics: PlannerStatistics | None = None  # set by FollowerLoop
        self.position = 0
        self._persisted = 0  # the position as saved in the tracking table
        self._persisted_at = 0.0

    def start(self) -> None:
        prepare(self.projection)
        self.reload()

    def reload(self) -> None:
        """Take the saved position as ours (after start, or after another writer moved it)."""
        self.position = self._persisted = saved_position(self.projection.store, self.projection) or 0
        self._persisted_at = time.monotonic()
        self.projection.resumed()
        self._publish(changed=True)

    def _publish(self, changed: bool) -> None:
        if self.board is not None:
            self.board.publish(self.projection.name, self.position, changed)

    def read_after(self, position: int, limit: int | None = None) -> Sequence[Any]:
        limit = limit or self.batch_size
        cached = self.tail.after(position, limit) if self.tail else None
        return cached if cached is not None else self.events.read_raw(position, limit)

    def run_once(self) -> int:
        """Apply the next batch; returns how many log entries it moved past."""
        notifications = self.read_after(self.position)
        if not notifications:
            flush_idle([self])
            return 0
        apply_batch([self], notifications)
        return len(notifications)

    def flush(self) -> None:
        """Save an in-memory advance over ignored events (no rows change)."""
        if self.position != self._persisted:
            _commit([(self, [])], self.position, {})

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        total = 0
        while True:
            try:
                n = self.run_once()
            except LostRace:
                self.reload()  # another follower moved the position: continue from there
                continue
            if n == 0:
                return total
            total += n
            if progress is not None:
                progress(self.position)


class LostRace(Exception):
    """Another follower advanced a projection first; our batch was rolled back."""


def apply_batch(members: Sequence[Follower], notifications: Sequence[Any]) -> list[Follower]:
    """Apply ``notifications`` to every member (each skips what it has already applied) in one
    transaction. When that fails and there are several members, each is tried alone so the
    healthy ones move on; returns the members that failed. ``LostRace`` propagates."""
    last = notifications[-1].id
    work = []
    for member in members:
        if member.position >= last:
            continue
        topics = member.projection.topics
        start = member.position
        work.append((member, [n for n in notifications if n.id > start and n.topic in topics]))
    if not work:
        return []
    if not any(relevant for _, relevant in work):
        # Nothing to write: move on in memory and save the positions later, so projections do
        # not pay a commit for every batch of other projections' events.
        for member, _ in work:
            member.position = last
            member._publish(changed=False)
        flush_idle([m for m, _ in work])
        return []
    decoded: dict[int, LoggedEvent] = {}
    try:
        _commit(work, last, decoded)
        return []
    except LostRace:
        raise
    except Exception:
        if len(work) == 1:
            raise
    failed = []
    for member, relevant in work:
        try:
            _commit([(member, relevant)], last, decoded)
        except LostRace:
            member.reload()
        except Exception:
            log.exception("projection %s failed at a batch ending %s", member.projection.name, last)
            failed.append(member)
    return failed


def flush_idle(members: Sequence[Follower]) -> None:
    """Save the in-memory advances that have waited longer than ``PERSIST_IDLE_SECONDS``."""
    now = time.monotonic()
    due = [
        m for m in members
        if m.position != m._persisted and now - m._persisted_at >= PERSIST_IDLE_SECONDS
    ]
    by_position: dict[int, list[Follower]] = {}
    for m in due:
        by_position.setdefault(m.position, []).append(m)
    for position, group in by_position.items():
        _commit([(m, []) for m in group], position, {})


def _commit(
    work: Sequence[tuple[Follower, Sequence[Any]]], last: int, decoded: dict[int, LoggedEvent]
) -> None:
    try:
        _write(work, last, decoded)
    except BaseException:
        for member, _ in work:
            member.projection.rolled_back()
        raise
    now = time.monotonic()
    for member, relevant in work:
        member.position = member._persisted = last
        member._persisted_at = now
        member._publish(changed=bool(relevant))
        if relevant:
            member.projection.committed()
            if member.statistics is not None:
                member.statistics.note(member.projection, len(relevant))


def _write(
    work: Sequence[tuple[Follower, Sequence[Any]]], last: int, decoded: dict[int, LoggedEvent]
) -> None:
    store = work[0][0].projection.store
    events = work[0][0].events
    shapes: dict[str, Any] = {}
    for member, relevant in work:
        if relevant:
            shapes.update(member.projection.shapes())
    with LazyTx(store, pipelined=True) as tx:
        writes = BatchWrites(tx, store.dialect, shapes)
        for member, relevant in work:
            projection = member.projection
            for n in relevant:
                logged = decoded.get(n.id)
                if logged is None:
                    logged = decoded[n.id] = LoggedEvent.stored_entry(n, events.decode)
                projection.apply(writes, logged, n.topic)
            if relevant:
                projection.before_commit(writes)
        writes.flush()
        dirty = [m for m, _ in work if m._persisted != last]
        if dirty:
            match = " OR ".join(["(name = ? AND version = ? AND position = ?)"] * len(dirty))
            params: list[Any] = [last, now_iso()]
            for m in dirty:
                params += [m.projection.name, m.projection.version, m._persisted]
            moved = tx.execute_counted(
                f"UPDATE projection_tracking SET position = ?, updated_at = ? WHERE {match}", params
            )
            if moved != len(dirty):
                raise LostRace()
            board = work[0][0].board
            if board is not None and board.channel is not None:  # other processes hear it at commit
                told = encode_positions({m.projection.name: last for m in dirty})
                tx.execute(NOTIFY_STATEMENT, (board.channel, told))

"""The log's recent entries, read once per wake-up for every follower of this process."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Sequence
from typing import Any

from infrastructure.event_store import EventStore


class LogTail:
    """The log's recent entries, read ONCE per wake-up for every follower of this process.

    Without it, each of a dozen followers queries the log after every append; with it, one
    reader does, and followers take their slice from memory. The tail knows every entry with
    a position in ``(start, head]``; a follower outside that range (rebuilding from 0, say)
    reads the store itself. Positions are handed out in commit order (PostgreSQL appends hold a
    table lock; SQLite has one writer), so reading after ``head`` never skips an entry.
    """

    def __init__(self, events: EventStore, capacity: int = 20_000, batch_size: int = 1_000):
        self._events = events
        self._capacity = capacity
        self._batch_size = batch_size
        self._lock = threading.Lock()
        self._reading = threading.Lock()
        self._items: list[Any] = []
        self._ids: list[int] = []
        self._start: int | None = None
        self._head = 0

    @property
    def head(self) -> int:
        """The last position read."""
        return self._head

    def refresh(self) -> int:
        """Read what was appended since the last refresh; returns how many entries arrived."""
        with self._reading:
            if self._start is None:
                self._start = self._head = self._events.last_position()
                return 0
            added = 0
            while True:
                chunk = self._events.read_raw(self._head, self._batch_size)
                added += self._extend(chunk)
                if len(chunk) < self._batch_size:
                    return added

    def push(self, recorded: Sequence[Any]) -> bool:
        """Take entries this process just appended, so followers need not read them back.

        Only entries that continue the tail without a gap are taken: another process's
        append (or ids a rolled-back write used up) in between leaves the tail to ``refresh``,
        which reads the store. Our appends commit under the log's lock, so every lower id
        is already committed when they return."""
        with self._lock:
            if self._start is None or not recorded or recorded[0].id != self._head + 1:
                return False
            if recorded[-1].id - recorded[0].id != len(recorded) - 1:  # sorted, unique: a gap
                return False
            self._append(list(recorded))
            return True

    def _extend(self, chunk: Sequence[Any]) -> int:
        with self._lock:
            new = [n for n in chunk if n.id > self._head]  # a push may have got there first
            if new:
                self._append(new)
            return len(new)

    def _append(self, new: list[Any]) -> None:
        self._items.extend(new)
        self._ids.extend(n.id for n in new)
        self._head = new[-1].id
        overflow = len(self._items) - self._capacity
        if overflow > 0:
            self._start = self._ids[overflow - 1]
            del self._items[:overflow]
            del self._ids[:overflow]

    def after(self, position: int, limit: int) -> list[Any] | None:
        """Entries after ``position`` (at most ``limit``), or None if the tail cannot tell."""
        with self._lock:
            if self._start is None or not self._start <= position <= self._head:
                return None
            index = bisect.bisect_right(self._ids, position)
            return self._items[index : index + limit]

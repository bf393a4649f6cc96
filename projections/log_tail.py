"""The log's recent entries, read once per wake-up for every follower of this process."""

from __future__ import annotations

import bisect
import threading
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
            new: list[Any] = []
            while True:
                chunk = self._events.read_raw(self._head, self._batch_size)
                if not chunk:
                    break
                new.extend(chunk)
                self._head = chunk[-1].id
                if len(chunk) < self._batch_size:
                    break
            if new:
                with self._lock:
                    self._items.extend(new)
                    self._ids.extend(n.id for n in new)
                    overflow = len(self._items) - self._capacity
                    if overflow > 0:
                        self._start = self._ids[overflow - 1]
                        del self._items[:overflow]
                        del self._ids[:overflow]
            return len(new)

    def after(self, position: int, limit: int) -> list[Any] | None:
        """Entries after ``position`` (at most ``limit``), or None if the tail cannot tell."""
        with self._lock:
            if self._start is None or not self._start <= position <= self._head:
                return None
            index = bisect.bisect_right(self._ids, position)
            return self._items[index : index + limit]

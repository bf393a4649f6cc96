"""Query results kept for as long as the read models they come from do not change.

A read model changes only when its follower commits a batch that touched it, and a follower in
this process says so on the position board (``changed_at``). A cached result is stamped with
the ``changed_at`` of every read model it read, taken BEFORE the query runs; it is served while
those stamps still hold. A stamp can only be older than the rows it was read with, never newer,
so the worst case is one needless recomputation, never a stale answer. Read-your-writes holds:
a write waits for its read models to reach its position, which moves their stamps first.

Read models followed by another process (an API process beside ``learnstream worker``) have
no stamp here: their queries are never cached.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from projections.engine.positions import PositionBoard

T = TypeVar("T")


class ReadCache:
    def __init__(self, board: PositionBoard | None, max_entries: int = 20_000) -> None:
        self._board = board
        self._max = max_entries
        self._entries: dict[Hashable, tuple[tuple[int, ...], Any]] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def get(self, key: Hashable, reads: tuple[str, ...], compute: Callable[[], T]) -> T:
        """``compute()``'s result, from memory while the read models in ``reads`` stay put.

        The value is shared between callers: it must not be mutated (cache rows as tuples or
        frozen Structs, or copy them on the way out)."""
        board = self._board
        if board is None:
            return compute()
        stamp: list[int] = []
        for name in reads:
            changed = board.changed_at(name)
            if changed is None:
                return compute()
            stamp.append(changed)
        stamped = tuple(stamp)
        hit = self._entries.get(key)
        if hit is not None and hit[0] == stamped:
            return hit[1]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            if len(self._entries) >= self._max:
                self._entries.clear()  # rare, and cheaper than keeping an LRU order per hit
            self._entries[key] = (stamped, value)
        return value

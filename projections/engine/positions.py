"""Where each projection stands, for the write path's read-your-writes wait and read caches."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterable

from infrastructure.read_store import ReadStore


class PositionBoard:
    """Followers in this process publish their positions here; for projections followed by
    another process the board polls the tracking table.

    Besides its position, a local projection publishes the position of the last batch that
    changed its rows (``changed_at``): a cached query over a projection stays valid for as long
    as that does not move, however far the log moves past events the projection ignores.
    """

    def __init__(self, store: ReadStore) -> None:
        self._store = store
        self._positions: dict[str, int] = {}
        self._changed: dict[str, int] = {}
        self._local: set[str] = set()
        self._cond = threading.Condition()
        # (position, names, loop, future) of event-loop callers waiting on local projections
        self._async_waiters: list[tuple[int, tuple[str, ...], asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def publish(self, name: str, position: int, changed: bool = True) -> None:
        with self._cond:
            # The change stamp moves before the position: whoever sees the new position (a
            # write's read-your-writes wait) then also sees cached reads go stale.
            if changed or name not in self._changed:
                self._changed[name] = position
            self._local.add(name)
            if position > self._positions.get(name, -1):
                self._positions[name] = position
            self._cond.notify_all()
            ready = self._ready_waiters() if self._async_waiters else {}
        for loop, futures in ready.items():
            with contextlib.suppress(RuntimeError):  # that loop has closed: nobody waits
                loop.call_soon_threadsafe(_resolve, futures)

    def _ready_waiters(self) -> dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]]:
        """Remove and return (by loop) the async waiters whose projections all got there."""
        ready: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
        waiting = []
        for waiter in self._async_waiters:
            position, names, loop, future = waiter
            if all(self._positions.get(n, 0) >= position for n in names):
                ready.setdefault(loop, []).append(future)
            else:
                waiting.append(waiter)
        self._async_waiters = waiting
        return ready

    def forget(self, name: str) -> None:
        """This process stopped following ``name`` (its lock went elsewhere): poll it again."""
        with self._cond:
            self._local.discard(name)
            self._changed.pop(name, None)

    def position(self, name: str) -> int:
        if name in self._local:
            return self._positions.get(name, 0)
        row = self._store.fetchone(
            "SELECT MAX(position) AS position FROM projection_tracking WHERE name = ?", (name,)
        )
        return int(row["position"]) if row and row["position"] is not None else 0

    def changed_at(self, name: str) -> int | None:
        """The position of the last change to ``name``'s rows, or None when this process does
        not follow it (another process's rows may change at any moment: do not cache)."""
        return self._changed.get(name) if name in self._local else None

    async def wait_async(self, position: int, names: Iterable[str], timeout: float) -> bool:
        """``wait`` for an event loop: a future the followers resolve, no thread held."""
        wanted = tuple(names)
        if not all(n in self._local for n in wanted):
            return await asyncio.to_thread(self.wait, position, wanted, timeout)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        waiter = (position, wanted, loop, future)
        with self._cond:
            if all(self._positions.get(n, 0) >= position for n in wanted):
                return True
            self._async_waiters.append(waiter)
        try:
            await asyncio.wait_for(future, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._cond:
                if waiter in self._async_waiters:
                    self._async_waiters.remove(waiter)

    def wait(self, position: int, names: Iterable[str], timeout: float) -> bool:
        """Block until every named projection has applied ``position`` (True) or time runs out."""
        deadline = time.monotonic() + timeout
        pending = list(names)
        delay = 0.001
        while pending:
            pending = [n for n in pending if self.position(n) < position]
            if not pending:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if all(n in self._local for n in pending):
                with self._cond:
                    # Checked again under the lock: a publish between our check and the wait
                    # would otherwise go unnoticed until the wait times out.
                    if any(self._positions.get(n, 0) < position for n in pending):
                        self._cond.wait(min(remaining, 0.25))
            else:
                time.sleep(min(delay, remaining))
                delay = min(delay * 2, 0.02)
        return True


def _resolve(futures: list[asyncio.Future[None]]) -> None:
    for future in futures:
        if not future.done():
            future.set_result(None)

"""Where each projection stands, for the write path's read-your-writes wait and read caches."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterable

from infrastructure.read_store import ReadStore

#: how long a wait on another process's projection trusts being told before it asks the table
RECHECK = 0.25


class PositionBoard:
    """Followers in this process publish their positions here. For projections followed by
    another process, the board is told their positions (``heard``, on PostgreSQL) or, until
    it is sure to be told, polls the tracking table.

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
        # Positions other processes told us (``heard``), and whether we are sure to hear them:
        # while we are, a wait on another process's projection needs no polling.
        self._remote: dict[str, int] = {}
        self._listening = False
        #: PostgreSQL: the channel our followers' commits tell their positions on
        self.channel: str | None = None

    def tell_others(self, channel: str) -> None:
        """Have this process's followers tell their positions on ``channel`` as they commit."""
        self.channel = channel

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
        _wake_loops(ready)

    def heard(self, positions: dict[str, int]) -> None:
        """Positions another process's followers reached (never moving one back)."""
        with self._cond:
            for name, position in positions.items():
                if position > self._remote.get(name, -1):
                    self._remote[name] = position
            self._cond.notify_all()
            ready = self._ready_waiters() if self._async_waiters else {}
        _wake_loops(ready)

    def listening(self, sure: bool) -> None:
        """Whether every position other processes send from now on reaches ``heard``."""
        with self._cond:
            self._listening = sure
            self._cond.notify_all()

    def told(self, name: str) -> int | None:
        """The furthest position another process told us ``name`` reached, if any."""
        return self._remote.get(name)

    def _known(self, name: str) -> int:
        """Where ``name`` stands as far as this process knows without asking the database."""
        if name in self._local:
            return self._positions.get(name, 0)
        return self._remote.get(name, 0)

    def _ready_waiters(self) -> dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]]:
        """Remove and return (by loop) the async waiters whose projections all got there."""
        ready: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
        waiting = []
        for waiter in self._async_waiters:
            position, names, loop, future = waiter
            if all(self._known(n) >= position for n in names):
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
        """``wait`` for an event loop: a future that publishes (and, for another process's
        projections, what it tells) resolve; no thread held."""
        wanted = tuple(names)
        local = all(n in self._local for n in wanted)
        if not local and not self._listening:
            return await asyncio.to_thread(self.wait, position, wanted, timeout)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        waiter = (position, wanted, loop, future)
        with self._cond:
            if all(self._known(n) >= position for n in wanted):
                return True
            self._async_waiters.append(waiter)
            unheard = any(n not in self._local and n not in self._remote for n in wanted)
        deadline = time.monotonic() + timeout
        try:
            if unheard and await asyncio.to_thread(self._reached, position, wanted):
                return True  # a position nothing has told since we listen: as saved
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                try:
                    if local:
                        await asyncio.wait_for(future, remaining)
                    else:  # a told position can be missed (the listener reconnecting): past
                        # a slice, the tracking table is asked
                        await asyncio.wait_for(asyncio.shield(future), min(remaining, RECHECK))
                    return True
                except TimeoutError:
                    if not local and await asyncio.to_thread(self._reached, position, wanted):
                        return True
        finally:
            with self._cond:
                if waiter in self._async_waiters:
                    self._async_waiters.remove(waiter)

    def _reached(self, position: int, names: Iterable[str]) -> bool:
        return all(self.position(n) >= position for n in names)

    def wait(self, position: int, names: Iterable[str], timeout: float) -> bool:
        """Block until every named projection has applied ``position`` (True) or time runs out."""
        deadline = time.monotonic() + timeout
        pending = [n for n in names if self._known(n) < position]
        delay = 0.001
        asked = 0.0  # when the database was last asked
        while pending:
            if any(n not in self._local for n in pending) and time.monotonic() - asked >= RECHECK:
                pending = [n for n in pending if self.position(n) < position]
                asked = time.monotonic()
                if not pending:
                    return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self._listening or all(n in self._local for n in pending):
                with self._cond:
                    # Checked again under the lock: a publish between our check and the wait
                    # would otherwise go unnoticed until the wait times out.
                    if any(self._known(n) < position for n in pending):
                        self._cond.wait(min(remaining, RECHECK))
                pending = [n for n in pending if self._known(n) < position]
            else:
                time.sleep(min(delay, remaining))
                delay = min(delay * 2, 0.02)
                asked = 0.0
        return True


def _wake_loops(ready: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]]) -> None:
    for loop, futures in ready.items():
        with contextlib.suppress(RuntimeError):  # that loop has closed: nobody waits
            loop.call_soon_threadsafe(_resolve, futures)


def _resolve(futures: list[asyncio.Future[None]]) -> None:
    for future in futures:
        if not future.done():
            future.set_result(None)

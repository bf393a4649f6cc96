"""Store reachability for ``GET /api/health``, answered on the event loop.

Health checks arrive all the time (load balancers, orchestrators, uptime monitors); pinging both
stores from a worker thread for each one made the probe dearer than a real read. So:

* PostgreSQL (both stores live on one server): one asynchronous connection of the probe's own
  sends ``SELECT 1``, no thread. A probe with no ping in flight starts one and waits for it;
  while one is in flight, probes answer the last result if it was a success less than
  ``interval`` ago, and wait for the ping otherwise. So a server that went away is seen by the
  next probe after the loss (its ping fails on the dead connection), one that came back by the
  probe after that (it reconnects), and a slow round trip holds up one probe, not all.
* SQLite (two local files): a background task pings both every ``interval`` seconds in a
  thread, and a probe answers from the last result; a file store does not vanish between two
  requests the way a network peer does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from infrastructure.event_store import EventStore
from infrastructure.read_store import ReadStore
from infrastructure.settings import PostgresDsn, Settings

log = logging.getLogger("learnstream.health")


class StoreProbe:
    def __init__(
        self,
        settings: Settings,
        events: EventStore,
        read_store: ReadStore,
        interval: float = 1.0,
        timeout: float = 2.0,
    ) -> None:
        self.events = events
        self.read_store = read_store
        self.interval = interval
        self.timeout = timeout
        self._conninfo = (
            PostgresDsn.parse(settings.database_url).conninfo() if settings.uses_postgres else None
        )
        self._conn: Any = None
        self._inflight: asyncio.Future[bool] | None = None
        self._task: asyncio.Task[None] | None = None
        self._ok = False
        #: monotonic time of the last successful contact with the stores (None: never)
        self.last_contact: float | None = None
        self._checked: float | None = None

    async def healthy(self) -> bool:
        if self._conninfo is not None:
            if self._inflight is not None and self._ok and self._fresh():
                # A ping is on its way and the last one succeeded a moment ago: answer that
                # rather than queue behind a round trip (a busy server would set every
                # waiting probe's latency). The ping itself still reports a loss.
                return True
            return await self._shared(self._ping_postgres)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._poll_files())
        stale = self._checked is None or time.monotonic() - self._checked > 5 * self.interval
        if stale:  # first probe, or the background task is stuck: look now
            return await self._shared(self._ping_files)
        return self._ok

    def _fresh(self) -> bool:
        return self._checked is not None and time.monotonic() - self._checked < self.interval

    async def _shared(self, ping: Any) -> bool:
        """Join the ping in flight, or start one; a caller that gives up does not cancel it."""
        if self._inflight is None:
            future = self._inflight = asyncio.ensure_future(ping())
            future.add_done_callback(self._settled)
        return await asyncio.shield(self._inflight)

    def _settled(self, future: asyncio.Future[bool]) -> None:
        if self._inflight is future:
            self._inflight = None

    def _note(self, ok: bool) -> bool:
        now = time.monotonic()
        self._ok, self._checked = ok, now
        if ok:
            self.last_contact = now
        return ok

    async def _ping_postgres(self) -> bool:
        import psycopg

        assert self._conninfo is not None
        try:
            async with asyncio.timeout(self.timeout):
                conn = self._conn
                if conn is None or conn.closed or conn.broken:
                    conn = self._conn = await psycopg.AsyncConnection.connect(
                        self._conninfo, autocommit=True, connect_timeout=max(1, int(self.timeout))
                    )
                await conn.execute("SELECT 1")
        except Exception as error:  # unreachable, refused, timed out, dropped mid-query
            if self._ok:
                log.warning("database unreachable: %s", error)
            await self._drop_connection()
            return self._note(False)
        if not self._ok and self.last_contact is not None:
            log.warning("database reachable again")
        return self._note(True)

    async def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    def _files_reachable(self) -> bool:
        return self.events.ping() and self.read_store.ping()

    async def _ping_files(self) -> bool:
        return self._note(await asyncio.to_thread(self._files_reachable))

    async def _poll_files(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                await self._shared(self._ping_files)
            await asyncio.sleep(self.interval)

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        await self._drop_connection()

"""LangGraph checkpointers for assessment sessions: a SQLite file on the embedded default,
PostgreSQL (the read store's database and schema) in production.

A checkpoint is a cache of where a session's workflow stands; the event log is the truth and
the engine rebuilds a lost or stale checkpoint from it. So the SQLite file runs with
``synchronous=NORMAL``: a power cut may lose the last checkpoint, never an event; and on
PostgreSQL a checkpoint is written behind the turn (``WriteBehind``): the answer's reply does
not wait for it, a read of the same session waits for its writes still queued, and a crash
loses at most the last checkpoint, which the engine then rebuilds from the log.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # LangGraph is imported by the first session that needs a checkpointer
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from infrastructure.checkpoint_savers import LocalSqliteSaver

log = logging.getLogger("learnstream.assessment")


class WriteBehind:
    """Runs each thread's checkpoint writes in the order they were made, on a few worker
    threads, after the caller has moved on. A thread's next write is handed to a worker only
    when its previous one is done, so a slow session never ties up a worker waiting. A write
    that fails is logged and the next goes ahead: the next run finds the checkpoint stale or
    missing and rebuilds it from the log."""

    def __init__(self, workers: int) -> None:
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="checkpoints")
        self._queues: dict[str, deque[tuple[Callable[[], Any], Future[Any]]]] = {}
        self._idle = threading.Condition()

    def submit(self, thread_id: str, call: Callable[[], Any]) -> Future[Any]:
        future: Future[Any] = Future()
        with self._idle:
            queue = self._queues.get(thread_id)
            if queue is None:
                self._queues[thread_id] = deque([(call, future)])
                self._pool.submit(self._run, thread_id)
            else:
                queue.append((call, future))
        return future

    def pending(self, thread_id: str) -> Future[Any] | None:
        """The thread's last queued write, if any is still to finish."""
        with self._idle:
            queue = self._queues.get(thread_id)
            return queue[-1][1] if queue else None

    async def settled(self, thread_id: str) -> None:
        """Wait until the thread's queued writes are done (failed ones included)."""
        future = self.pending(thread_id)
        if future is not None:
            await asyncio.wait([asyncio.wrap_future(future)])

    def _run(self, thread_id: str) -> None:
        with self._idle:
            call, future = self._queues[thread_id][0]
        try:
            future.set_result(call())
        except Exception as exc:
            log.warning("a checkpoint write failed (the log rebuilds it): %r", exc)
            future.set_exception(exc)
        with self._idle:
            queue = self._queues[thread_id]
            queue.popleft()
            if queue:
                self._pool.submit(self._run, thread_id)
            else:
                del self._queues[thread_id]
                self._idle.notify_all()

    def close(self, timeout: float = 30.0) -> None:
        """Finish every queued write (waiting at most ``timeout``), then stop the workers."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._queues and time.monotonic() < deadline:
                self._idle.wait(deadline - time.monotonic())
        self._pool.shutdown(wait=True, cancel_futures=True)


class Checkpoints:
    """Hands the engine a checkpointer usable on the calling event loop."""

    def __init__(self, *, sqlite_path: Path | None = None, postgres: tuple[str, str] | None = None,
                 pool_size: int = 8) -> None:
        self._sqlite_path = sqlite_path
        self._postgres = postgres
        self._pool_size = pool_size
        self._local: LocalSqliteSaver | None = None
        self._pg: BaseCheckpointSaver[Any] | None = None
        self._pool: Any = None
        self._behind: WriteBehind | None = None
        self._opening = threading.Lock()

    async def saver(self) -> BaseCheckpointSaver[Any]:
        if self._postgres is None:
            return self._sqlite()
        if self._pg is None:
            await asyncio.to_thread(self._open_postgres)
        assert self._pg is not None
        return self._pg

    def _sqlite(self) -> LocalSqliteSaver:
        if self._local is None:
            assert self._sqlite_path is not None
            self._sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self._sqlite_path), check_same_thread=False, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            from infrastructure.checkpoint_savers import LocalSqliteSaver

            saver = LocalSqliteSaver(conn)
            saver.setup()
            self._local = saver
        return self._local

    def _open_postgres(self) -> None:
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        with self._opening:
            if self._pg is not None:
                return
            assert self._postgres is not None
            self._pg = self._new_postgres(self._postgres, dict_row, ConnectionPool)

    def _new_postgres(self, where: tuple[str, str], dict_row: Any, pool_class: Any) -> Any:
        conninfo, schema = where
        self._pool = pool_class(
            conninfo, min_size=1, max_size=self._pool_size, open=True,
            kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row,
                    # A checkpoint is a cache of the log: a commit need not wait for the disk.
                    "options": f"-c search_path={schema} -c synchronous_commit=off"},
        )
        self._behind = WriteBehind(self._pool_size)
        from infrastructure.checkpoint_savers import pooled_postgres_saver

        saver = pooled_postgres_saver(self._pool, self._behind)
        locked_setup(saver, conninfo, schema)
        return saver

    def close(self) -> None:
        if self._local is not None:
            self._local.conn.close()
            self._local = None
        if self._behind is not None:
            self._behind.close()  # before the pool its writes use
            self._behind = None
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        self._pg = None


def setup_lock_key(schema: str) -> str:
    """The advisory lock the LangGraph savers' migrations of ``schema`` run under (the
    assessment and generation savers share one ``checkpoint_migrations`` table)."""
    return f"{schema}:langgraph-checkpoint-setup"


#: tried, not waited for: a session waiting in ``pg_advisory_lock`` holds a snapshot, which
#: the holder's ``CREATE INDEX CONCURRENTLY`` waits out, and neither would ever finish
TRY_SETUP_LOCK = "SELECT pg_try_advisory_lock(hashtext(%s))"
SETUP_LOCK_POLL_SECONDS = 0.1


def locked_setup(saver: Any, conninfo: str, schema: str) -> None:
    """``saver.setup()`` one process at a time: processes starting together would otherwise
    race on its migrations (CREATE TABLE IF NOT EXISTS is not atomic, and a loser could record
    a concurrently built index as done while the winner is still building it)."""
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as lock:
        while not lock.execute(TRY_SETUP_LOCK, (setup_lock_key(schema),)).fetchone()[0]:  # type: ignore[index]
            time.sleep(SETUP_LOCK_POLL_SECONDS)
        saver.setup()  # the lock ends with its session

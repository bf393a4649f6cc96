"""LangGraph checkpointers for assessment sessions: a SQLite file on the embedded default,
PostgreSQL (the read store's database and schema) in production.

A checkpoint is a cache of where a session's workflow stands; the event log is the truth and
the engine rebuilds a lost or stale checkpoint from it. So the SQLite file runs with
``synchronous=NORMAL``: a power cut may lose the last checkpoint, never an event.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.sqlite import SqliteSaver


class LocalSqliteSaver(SqliteSaver):
    """``SqliteSaver`` with its async methods answered by the sync ones.

    The stock ``AsyncSqliteSaver`` is bound to the event loop it was made in and runs a
    non-daemon connection thread; a local file's reads and writes take microseconds, so
    answering them inline keeps one saver for every loop and thread of the process.
    """

    async def aget_tuple(self, config: Any) -> CheckpointTuple | None:
        return self.get_tuple(config)

    async def alist(  # type: ignore[override]
        self, config: Any, *, filter: dict[str, Any] | None = None,
        before: Any = None, limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        for item in self.list(config, filter=filter, before=before, limit=limit):
            yield item

    async def aput(
        self, config: Any, checkpoint: Checkpoint, metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> Any:
        return self.put(config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self, config: Any, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        self.put_writes(config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        self.delete_thread(thread_id)


class Checkpoints:
    """Hands the engine a checkpointer usable on the calling event loop."""

    def __init__(self, *, sqlite_path: Path | None = None, postgres: tuple[str, str] | None = None,
                 pool_size: int = 8) -> None:
        self._sqlite_path = sqlite_path
        self._postgres = postgres
        self._pool_size = pool_size
        self._local: LocalSqliteSaver | None = None
        self._per_loop: dict[asyncio.AbstractEventLoop, tuple[Any, BaseCheckpointSaver[Any]]] = {}
        self._setup_done = False

    async def saver(self) -> BaseCheckpointSaver[Any]:
        if self._postgres is None:
            return self._sqlite()
        loop = asyncio.get_running_loop()
        found = self._per_loop.get(loop)
        if found is None:
            found = await self._open_postgres()
            self._per_loop[loop] = found
        return found[1]

    def _sqlite(self) -> LocalSqliteSaver:
        if self._local is None:
            assert self._sqlite_path is not None
            self._sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self._sqlite_path), check_same_thread=False, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            saver = LocalSqliteSaver(conn)
            saver.setup()
            self._local = saver
        return self._local

    async def _open_postgres(self) -> tuple[Any, BaseCheckpointSaver[Any]]:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        from psycopg.rows import dict_row
        from psycopg_pool import AsyncConnectionPool

        assert self._postgres is not None
        conninfo, schema = self._postgres
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            conninfo, min_size=1, max_size=self._pool_size, open=False,
            kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row,
                    "options": f"-c search_path={schema}"},
        )
        await pool.open()
        saver = AsyncPostgresSaver(pool)
        if not self._setup_done:
            await _racing_setup(saver)
            self._setup_done = True
        return pool, saver

    async def aclose(self) -> None:
        """Close what belongs to the calling loop (pools are bound to the loop that made them)."""
        loop = asyncio.get_running_loop()
        found = self._per_loop.pop(loop, None)
        if found is not None:
            await found[0].close()

    def close(self) -> None:
        if self._local is not None:
            self._local.conn.close()
            self._local = None
        self._per_loop.clear()


async def _racing_setup(saver: Any, attempts: int = 5) -> None:
    # Processes starting together race on the migrations' CREATE TABLE IF NOT EXISTS.
    for attempt in range(attempts):
        try:
            await saver.setup()
            return
        except Exception:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.1 * (attempt + 1))

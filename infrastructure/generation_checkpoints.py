"""LangGraph checkpointer wiring for the generation workflow: SQLite or PostgreSQL.

A checkpoint is a cache of where a job's workflow stands (the log is the truth), so the SQLite
file runs in WAL mode without a sync per commit, and a lost checkpoint only means the job
reads its finished steps back from the log. SQLite is written from the worker's event loop
itself: each such write takes tens of microseconds (no fsync), while LangGraph's aiosqlite
saver hands every statement to a thread and back, about a hundred round trips per job
(measured: a quarter of the offline worker's CPU per job). On PostgreSQL the tables live in the event log's
schema unless ``LEARNSTREAM_GENERATION_CHECKPOINT_URL`` names another database.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from infrastructure.settings import PostgresDsn, Settings


def checkpoint_target(settings: Settings) -> str:
    """A ``postgresql://`` URL or a SQLite file path."""
    if settings.generation_checkpoint_url:
        return settings.generation_checkpoint_url
    if settings.uses_postgres:
        return settings.database_url
    return str(settings.data_dir / "generation_checkpoints.sqlite3")


@contextlib.asynccontextmanager
async def open_checkpointer(target: str) -> AsyncIterator[Any]:
    if target.startswith(("postgres://", "postgresql://")):
        async with _postgres(target) as saver:
            yield saver
    else:
        async with _sqlite(Path(target)) as saver:
            yield saver


@contextlib.asynccontextmanager
async def _sqlite(path: Path) -> AsyncIterator[Any]:
    path.parent.mkdir(parents=True, exist_ok=True)
    # One worker loop uses this connection; the saver's own lock guards it all the same.
    conn = sqlite3.connect(str(path), timeout=5, check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=5000")
        saver = _inline_sqlite_saver(conn)
        saver.setup()
        yield saver
    finally:
        conn.close()


def _inline_sqlite_saver(conn: sqlite3.Connection) -> Any:
    """LangGraph's SQLite saver, its async methods answered by its sync ones on the caller's
    loop (the stock saver refuses async use; the aiosqlite one pays a thread hop per statement)."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    class InlineSqliteSaver(SqliteSaver):
        async def aget_tuple(self, config: Any) -> Any:
            return self.get_tuple(config)

        async def alist(  # type: ignore[override]
            self, config: Any, *, filter: Any = None, before: Any = None, limit: int | None = None
        ) -> AsyncIterator[Any]:
            for item in self.list(config, filter=filter, before=before, limit=limit):
                yield item

        async def aput(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
            return self.put(config, checkpoint, metadata, new_versions)

        async def aput_writes(self, config: Any, writes: Any, task_id: str, task_path: str = "") -> None:
            self.put_writes(config, writes, task_id, task_path)

        async def adelete_thread(self, thread_id: str) -> None:
            self.delete_thread(thread_id)

        async def aget_delta_channel_history(self, *, config: Any, channels: Any) -> Any:
            return self.get_delta_channel_history(config=config, channels=channels)

    return InlineSqliteSaver(conn)


@contextlib.asynccontextmanager
async def _postgres(url: str) -> AsyncIterator[Any]:
    import psycopg
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from psycopg.rows import dict_row
    from psycopg_pool import AsyncConnectionPool

    from infrastructure.checkpoints import SETUP_LOCK_POLL_SECONDS, TRY_SETUP_LOCK, setup_lock_key

    dsn = PostgresDsn.parse(url)
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        dsn.conninfo() + f" options='-c search_path={dsn.schema}'",
        min_size=1,
        max_size=4,
        open=False,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
    )
    await pool.open()
    try:
        saver = AsyncPostgresSaver(pool)  # type: ignore[arg-type]
        # One process at a time (``checkpoints.locked_setup``), here without blocking the loop.
        async with await psycopg.AsyncConnection.connect(dsn.conninfo(), autocommit=True) as lock:
            while True:
                tried = await lock.execute(TRY_SETUP_LOCK, (setup_lock_key(dsn.schema),))
                if (await tried.fetchone())[0]:  # type: ignore[index]
                    break
                await asyncio.sleep(SETUP_LOCK_POLL_SECONDS)
            await saver.setup()
        yield saver
    finally:
        await pool.close()

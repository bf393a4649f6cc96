"""LangGraph checkpointer wiring for the generation workflow: SQLite or PostgreSQL.

A checkpoint is a cache of where a job's workflow stands (the log is the truth), so the SQLite
file runs in WAL mode without a sync per commit, and a lost checkpoint only means the job
reads its finished steps back from the log. On PostgreSQL the tables live in the event log's
schema unless ``LEARNSTREAM_GENERATION_CHECKPOINT_URL`` names another database.
"""

from __future__ import annotations

import asyncio
import contextlib
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
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    path.parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(str(path), timeout=30)
    try:
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute("PRAGMA busy_timeout=30000")
        saver = AsyncSqliteSaver(conn)
        await saver.setup()
        yield saver
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def _postgres(url: str) -> AsyncIterator[Any]:
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from psycopg.rows import dict_row
    from psycopg_pool import AsyncConnectionPool

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
        # Processes starting together race on the migrations: the loser tries again.
        for attempt in range(5):
            try:
                await saver.setup()
                break
            except Exception:
                if attempt == 4:
                    raise
                await asyncio.sleep(0.2 * (attempt + 1))
        yield saver
    finally:
        await pool.close()

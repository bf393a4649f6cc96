"""LangGraph checkpoint savers behind ``infrastructure.checkpoints.Checkpoints``: the local
SQLite file's saver answering async calls inline, and PostgreSQL's over a connection pool with
its writes behind the turn. A module of their own so that a process that never runs an
assessment (``replay``, ``audit``, the other CLI commands) never imports LangGraph, whose
import costs about a second.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    copy_checkpoint,
)
from langgraph.checkpoint.sqlite import SqliteSaver

from infrastructure.checkpoints import WriteBehind


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


def pooled_postgres_saver(pool: Any, behind: WriteBehind) -> BaseCheckpointSaver[Any]:
    """``PostgresSaver`` over a (sync) connection pool, its async methods run in threads, its
    writes behind the caller (``behind``).

    Not the stock async saver: that one is bound to the event loop that made its pool (every
    test client, every loop, needs its own and nothing closes them synchronously) and holds
    one lock around every statement, which serialised all sessions' checkpoints (measured:
    respond p50 x3 at 10 concurrent sessions). Here each call takes its own pooled connection,
    and ``close()`` closes the pool from any thread. Writing behind took the two checkpoint
    round trips (about 3.5 ms) out of every answer's time to its next question.
    """
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row

    class PooledPostgresSaver(PostgresSaver):
        @contextmanager
        def _cursor(self, *, pipeline: bool = False) -> Iterator[Any]:
            conns: Any = self.conn
            with conns.connection() as conn:
                if pipeline and self.supports_pipeline:
                    with conn.pipeline(), conn.cursor(binary=True, row_factory=dict_row) as cur:
                        yield cur
                else:
                    with conn.cursor(binary=True, row_factory=dict_row) as cur:
                        yield cur

        async def aget_tuple(self, config: Any) -> CheckpointTuple | None:
            await behind.settled(_thread_of(config))
            return await asyncio.to_thread(self.get_tuple, config)

        async def alist(  # type: ignore[override]
            self, config: Any, *, filter: dict[str, Any] | None = None,
            before: Any = None, limit: int | None = None,
        ) -> AsyncIterator[CheckpointTuple]:
            if config is not None:
                await behind.settled(_thread_of(config))
            items = await asyncio.to_thread(
                lambda: list(self.list(config, filter=filter, before=before, limit=limit)))
            for item in items:
                yield item

        async def aput(
            self, config: Any, checkpoint: Checkpoint, metadata: CheckpointMetadata,
            new_versions: ChannelVersions,
        ) -> Any:
            # Copies of what the call reads, taken now: the run may go on with its own.
            saved = copy_checkpoint(checkpoint)
            meta, versions = CheckpointMetadata(**metadata), dict(new_versions)
            behind.submit(_thread_of(config),
                          lambda: self.put(config, saved, meta, versions))
            return {"configurable": {
                "thread_id": config["configurable"]["thread_id"],
                "checkpoint_ns": config["configurable"]["checkpoint_ns"],
                "checkpoint_id": checkpoint["id"],
            }}

        async def aput_writes(
            self, config: Any, writes: Sequence[tuple[str, Any]], task_id: str,
            task_path: str = "",
        ) -> None:
            copied = list(writes)
            behind.submit(_thread_of(config),
                          lambda: self.put_writes(config, copied, task_id, task_path))

        async def adelete_thread(self, thread_id: str) -> None:
            # In line with the thread's queued writes, which it follows and outlives.
            await asyncio.wrap_future(
                behind.submit(thread_id, lambda: self.delete_thread(thread_id)))

    return PooledPostgresSaver(pool)


def _thread_of(config: Any) -> str:
    return str(config["configurable"]["thread_id"])

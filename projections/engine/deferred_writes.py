"""A rebuild's batch written by a thread of its own while the next batch is worked out.

A rebuild alternates Python work (decoding, handlers, building the bulk statements) with the
database writing them; done in turn, each waits for the other. ``DeferredTx`` records the
statements a batch's ``Writes`` produce (in order, with their parameters) instead of sending
them, and ``BatchWriter`` sends them in one transaction from its own thread while the rebuild
goes on with the next batch: the database works while Python does. At most one batch is in
flight, and it is committed before the next one is handed over, so batches still commit in log
order, each with its progress row.

Whatever needs an answer from the database (a read, a counted statement) first waits for the
batch in flight, then opens this batch's transaction, sends what was recorded and goes on
directly: a handler sees its rows exactly as if every statement had gone out at once.
Recorded statements return -1 from ``execute``, as in a pipelined transaction.

Only in a replay (``defer``), and on SQLite only where a core is free for the thread (it
writes in this process). There it gains only because a rebuild's inserts are one statement
per table (``BatchWrites._json_insert``): binding rows one at a time takes the interpreter
lock back for every row, and the thread could not run beside the next batch's Python (the
search index's fill took 10.5 s with the thread or without it, 8.4 s with both).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import Any

from infrastructure.read_store import ReadStore, Row, Tx


class BatchWriter:
    """Commits recorded batches one at a time, in one thread of its own (one connection: on
    SQLite every thread opens its own, with its own page cache); errors surface at the next
    ``submit`` or ``wait`` in the caller's thread, and so do ``on_commit`` callbacks. ``close``
    ends the thread (a later ``submit`` starts another)."""

    def __init__(self, store: ReadStore) -> None:
        self._store = store
        self._jobs: queue.Queue[Any] = queue.Queue(maxsize=1)
        self._thread: threading.Thread | None = None
        self._done: threading.Event | None = None
        self._error: BaseException | None = None
        self._on_commit: Callable[[], None] | None = None

    @property
    def busy(self) -> bool:
        """A batch was handed over and not waited for."""
        return self._done is not None

    def submit(
        self, statements: list[tuple[str, tuple[Any, ...]]], last: Callable[[Tx], None],
        on_commit: Callable[[], None],
    ) -> None:
        """Send ``statements`` then run ``last`` in one transaction, after the batch in flight."""
        self.wait()
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="rebuild-write", daemon=True)
            self._thread.start()
        self._done, self._error, self._on_commit = threading.Event(), None, on_commit
        self._jobs.put((statements, last, self._done))

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            statements, last, done = job
            try:
                with self._store.transaction(bulk=True) as tx:
                    for name, args in statements:
                        getattr(tx, name)(*args)
                    last(tx)
            except BaseException as error:
                self._error = error
            finally:
                done.set()

    def wait(self) -> None:
        """Until the batch in flight is committed (raises what it failed with)."""
        done = self._done
        if done is None:
            return
        done.wait()
        error, on_commit = self._error, self._on_commit
        self._done, self._error, self._on_commit = None, None, None
        if error is not None:
            raise error
        if on_commit is not None:
            on_commit()

    def close(self) -> None:
        """End the thread once the batch in flight is written (not waited for here)."""
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._thread = None


class DeferredTx:
    """A ``Tx`` that records writes for ``BatchWriter`` until something needs an answer."""

    def __init__(self, store: ReadStore, writer: BatchWriter, defer: bool = True) -> None:
        self._store = store
        self._writer = writer
        self._defer = defer
        self._stack = ExitStack()
        self._tx: Any = None
        self.statements: list[tuple[str, tuple[Any, ...]]] = []

    @property
    def direct(self) -> bool:
        """True once this batch went to the database itself (commit it at the end)."""
        return self._tx is not None

    def _now(self) -> Any:
        if self._tx is None:
            self._writer.wait()
            tx = self._stack.enter_context(self._store.transaction(bulk=True))
            for name, args in self.statements:
                getattr(tx, name)(*args)
            self.statements.clear()
            self._tx = tx
        return self._tx

    def __enter__(self) -> DeferredTx:
        return self

    def __exit__(self, *exc: Any) -> bool:
        return bool(self._stack.__exit__(*exc))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        if self._tx is not None or not self._defer:
            return int(self._now().execute(sql, params))
        self.statements.append(("execute", (sql, params)))
        return -1

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if self._tx is not None or not self._defer:
            self._now().executemany(sql, rows)
        else:
            self.statements.append(("executemany", (sql, rows)))

    def copy_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if self._tx is not None or not self._defer:
            self._now().copy_rows(table, columns, rows)
        else:
            self.statements.append(("copy_rows", (table, columns, rows)))

    def execute_counted(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(self._now().execute_counted(sql, params))

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        rows: list[Row] = self._now().fetchall(sql, params)
        return rows

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = self._now().fetchone(sql, params)
        return row

"""A transaction opened at its first statement (batched projection writes)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from typing import Any

from infrastructure.read_store import ReadStore, Row


class LazyTx:
    """A ``Tx`` whose store transaction opens at its first statement. Handlers that only
    buffer rows run before it opens, so a batch holds a connection (on SQLite: the one write
    lock) only while its rows are written, not while Python works out what to write."""

    def __init__(self, store: ReadStore, pipelined: bool = False) -> None:
        self._store = store
        self._pipelined = pipelined
        self._stack = ExitStack()
        self._tx: Any = None

    @property
    def tx(self) -> Any:
        if self._tx is None:
            self._tx = self._stack.enter_context(self._store.transaction(self._pipelined))
        return self._tx

    def __enter__(self) -> LazyTx:
        return self

    def __exit__(self, *exc: Any) -> bool:
        return bool(self._stack.__exit__(*exc))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(self.tx.execute(sql, params))

    def execute_counted(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(self.tx.execute_counted(sql, params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.tx.executemany(sql, rows)

    def copy_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.tx.copy_rows(table, columns, rows)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        rows: list[Row] = self.tx.fetchall(sql, params)
        return rows

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = self.tx.fetchone(sql, params)
        return row

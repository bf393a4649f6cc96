"""Read-model storage: one SQL interface over a SQLite file or PostgreSQL.

Projections write portable SQL with ``?`` placeholders, integer booleans and ISO-8601 text
timestamps; the PostgreSQL flavour rewrites placeholders. Each projection's rows and its tracking
position are written in one transaction (see ``projections.engine.framework``).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol

from infrastructure.sqlite_writers import SqliteWriters

Row = dict[str, Any]
Dialect = Literal["sqlite", "postgres"]


class Tx(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Rows affected; -1 in a pipelined transaction (see ``execute_counted``)."""
        ...

    def execute_counted(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Rows affected, always (a pipelined transaction waits for the results so far)."""
        ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...
    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...
    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...


class ReadStore(Protocol):
    dialect: Dialect

    def transaction(self, pipelined: bool = False, bulk: bool = False) -> Any:  # context manager yielding Tx
        """``pipelined``: statements are sent without waiting for each result (PostgreSQL);
        errors surface at the next read or at commit, and ``execute`` cannot count rows.
        ``bulk``: one of a rebuild's large batches (SQLite checkpoints its WAL less often)."""
        ...

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...
    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...
    def analyze(self, tables: Sequence[str]) -> None:
        """Refresh the query planner's statistics for these tables."""
        ...
    def dedicate_reads_to_this_thread(self) -> None:
        """The calling thread reads a lot (an event loop): give it a connection of its own."""
        ...
    def ping(self) -> bool: ...
    def close(self) -> None: ...


_names = threading.local()
#: SQLite's default checkpoint size, and a rebuild's (WAL pages of 4 KB: 160 MB of disk at most)
WAL_PAGES = 1_000
BULK_WAL_PAGES = 40_000


def _dict_factory(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> Row:
    # Column names are worked out once per result set, not once per row.
    description = cursor.description
    if getattr(_names, "description", None) is not description:
        _names.description = description
        _names.names = [col[0] for col in description]
    return dict(zip(_names.names, row, strict=True))


class _SqliteTx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(sql, params).rowcount

    execute_counted = execute

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)

    def copy_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        marks = ", ".join("?" for _ in columns)
        self._conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._conn.execute(sql, params).fetchall()

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = self._conn.execute(sql, params).fetchone()
        return row


class SqliteReadStore:
    dialect: Dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = str(path)
        self._local = threading.local()
        # One writer per process at a time (its threads), queued with other processes'.
        self._writers = SqliteWriters(path)
        self._all: list[sqlite3.Connection] = []
        conn = self._connection()
        conn.execute("PRAGMA journal_mode=WAL")

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self._path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = _dict_factory
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            self._all.append(conn)
        return conn

    @contextmanager
    def transaction(self, pipelined: bool = False, bulk: bool = False) -> Iterator[Tx]:
        conn = self._connection()
        with self._writers.held():
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteTx(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            if not bulk:
                conn.execute("COMMIT")
                return
            # A commit past the WAL's checkpoint size copies its pages into the database file
            # and syncs it. A rebuild's batches rewrite the same pages (B-tree and FTS5 segment
            # pages) batch after batch, so checkpointing every BULK_WAL_PAGES instead of every
            # 1,000 copies and syncs each page fewer times (the search index rebuilt 8-14%
            # faster). The next ordinary commit, here or in another connection, checkpoints
            # whatever the batches left in the WAL.
            conn.execute(f"PRAGMA wal_autocheckpoint={BULK_WAL_PAGES}")
            try:
                conn.execute("COMMIT")
            finally:
                conn.execute(f"PRAGMA wal_autocheckpoint={WAL_PAGES}")

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._connection().execute(sql, params).fetchall()

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = self._connection().execute(sql, params).fetchone()
        return row

    def analyze(self, tables: Sequence[str]) -> None:
        """SQLite's queries are written for its planner without statistics (FTS5 first)."""

    def dedicate_reads_to_this_thread(self) -> None:
        """Every SQLite thread has its own connection already."""

    def ping(self) -> bool:
        try:
            self._connection().execute("SELECT 1")
        except sqlite3.Error:
            return False
        return True

    def close(self) -> None:
        for conn in self._all:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        self._all.clear()
        self._local = threading.local()
        self._writers.close()


@lru_cache(maxsize=4096)
def to_pyformat(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


_DDL = ("CREATE ", "DROP ", "ALTER ")
_DDL_LOCK_CLASS = 0x1EA5  # first key of the two-key advisory lock space: read-model DDL


class _PostgresTx:
    def __init__(self, conn: Any, schema: str = "", pipeline: Any = None) -> None:
        self._conn = conn
        self._schema = schema
        self._pipeline = pipeline
        self._ddl_locked = False
        # One cursor for the whole transaction: a new cursor per statement costs ~15 % more
        # client CPU per statement (measured), and a batch runs dozens of statements.
        self._cur = conn.cursor()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        if not self._ddl_locked and sql.lstrip()[:7].upper().startswith(_DDL):
            # Processes starting together race on ``CREATE ... IF NOT EXISTS``, which is not
            # atomic on PostgreSQL (duplicate pg_type rows): DDL transactions take turns.
            self._conn.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_DDL_LOCK_CLASS, self._schema)
            )
            self._ddl_locked = True
        cur = self._cur
        cur.execute(to_pyformat(sql), params)
        return -1 if self._pipeline is not None else int(cur.rowcount)

    def execute_counted(self, sql: str, params: Sequence[Any] = ()) -> int:
        self.execute(sql, params)
        if self._pipeline is not None:
            self._pipeline.sync()
        return int(self._cur.rowcount)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._cur.executemany(to_pyformat(sql), rows)

    def copy_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """``COPY ... FROM STDIN``: the cheapest way into a table on both ends (not inside a
        pipelined transaction)."""
        with self._cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cur = self._cur
        cur.execute(to_pyformat(sql), params)
        rows: list[Row] = cur.fetchall()
        return rows

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        cur = self._cur
        cur.execute(to_pyformat(sql), params)
        row: Row | None = cur.fetchone()
        return row

    def close(self) -> None:
        self._cur.close()


class PostgresReadStore:
    dialect: Dialect = "postgres"

    def __init__(self, conninfo: str, schema: str, max_size: int = 10) -> None:
        import psycopg
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        self.schema = schema
        self._local = threading.local()
        self._dedicated: list[Any] = []
        self._dedicated_lock = threading.Lock()

        def configure(conn: Any) -> None:
            conn.execute(f'SET search_path TO "{schema}"')
            # Read models are derived: a server crash may lose the last commits, but rows and
            # tracking positions are lost together and re-derived from the log, so waiting for
            # the WAL flush buys nothing. The event store keeps synchronous commits. (The
            # webhook outbox's delivery marks live here too: a lost mark means one more
            # delivery with the same id, which receivers already handle.)
            conn.execute("SET synchronous_commit TO OFF")

        self._pool = ConnectionPool(
            conninfo,
            min_size=2,
            max_size=max_size,
            # Autocommit: a lone read is one round trip, with no BEGIN and no ROLLBACK when the
            # connection goes back to the pool; writes open explicit transactions.
            kwargs={"row_factory": dict_row, "connect_timeout": 5, "autocommit": True},
            configure=configure,
            open=True,
            timeout=10,
        )

        def connect() -> Any:
            conn = psycopg.connect(conninfo, row_factory=dict_row, connect_timeout=5, autocommit=True)
            configure(conn)
            with self._dedicated_lock:
                self._dedicated.append(conn)
            return conn

        self._connect = connect

    @contextmanager
    def transaction(self, pipelined: bool = False, bulk: bool = False) -> Iterator[Tx]:
        with self._pool.connection() as conn, conn.transaction():
            if not pipelined:
                tx = _PostgresTx(conn, self.schema)
                try:
                    yield tx
                finally:
                    tx.close()
                return
            # A batch of a dozen statements costs one round trip instead of a dozen: measured
            # here, half the client CPU and a third of the time for 16 statements.
            with conn.pipeline() as pipeline:
                tx = _PostgresTx(conn, self.schema, pipeline)
                try:
                    yield tx
                finally:
                    tx.close()

    def dedicate_reads_to_this_thread(self) -> None:
        """Reads from the calling thread (the API's event loop) use a connection of their own
        instead of a pool checkout each (measured: ~50 µs of client CPU saved per read)."""
        self._local.dedicated = True

    @contextmanager
    def _reading(self) -> Iterator[Any]:
        if not getattr(self._local, "dedicated", False):
            with self._pool.connection() as conn:
                yield conn
            return
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.broken:
            conn = self._local.conn = self._connect()
        try:
            yield conn
        except Exception:
            if conn.broken or conn.closed:  # a lost session: the next read opens a new one
                self._local.conn = None
            raise

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._reading() as conn:
            rows: list[Row] = conn.execute(to_pyformat(sql), params).fetchall()
            return rows

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        with self._reading() as conn:
            row: Row | None = conn.execute(to_pyformat(sql), params).fetchone()
            return row

    def analyze(self, tables: Sequence[str]) -> None:
        from psycopg import sql

        with self._pool.connection() as conn:
            for table in tables:
                conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))

    def ping(self) -> bool:
        try:
            with self._pool.connection(timeout=2) as conn:
                conn.execute("SELECT 1")
        except Exception:
            return False
        return True

    def close(self) -> None:
        with self._dedicated_lock:
            for conn in self._dedicated:
                with contextlib.suppress(Exception):
                    conn.close()
            self._dedicated.clear()
        self._pool.close()

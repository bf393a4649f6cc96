"""Raw reads of the event log for exports and time travel: entries as stored, never decoded.

Followers read through eventsourcing's notification interface; an export of a million events
needs more: a server-side cursor that streams pages (``scan``), a page of chosen positions in
one query (``entries``) and one aggregate's entries with their log positions (``aggregate``,
which the library's ``select_events`` does not give). The tables are eventsourcing's own:
``notification_id`` is the position on PostgreSQL, the ``rowid`` on SQLite.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from infrastructure.settings import PostgresDsn, Settings


@dataclass(slots=True)
class RawEntry:
    position: int
    originator_id: str
    originator_version: int
    topic: str
    state: bytes


class LogReader:
    def __init__(self, settings: Settings, table: str = "stored_events") -> None:
        """``table``: the events table the event store's recorder writes (``for_store``)."""
        self._postgres = settings.uses_postgres
        self._local = threading.local()
        self._opened: list[Any] = []
        self._lock = threading.Lock()
        self._pool: Any = None
        if self._postgres:
            dsn = PostgresDsn.parse(settings.database_url)
            self._conninfo = dsn.conninfo()
            self._table = f'"{dsn.schema}"."{table}"'
        else:
            self._path = settings.data_dir / "events.sqlite3"
            self._table = f'"{table}"'

    @classmethod
    def for_store(cls, settings: Settings, events: Any) -> LogReader:
        """A reader of the table ``events`` (an ``EventStore``) appends to."""
        return cls(settings, events.raw_app().recorder.events_table_name)

    # -- connections --------------------------------------------------------------------
    def _sqlite(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                f"file:{self._path}?mode=ro", uri=True, timeout=30, check_same_thread=False
            )
            self._local.conn = conn
            with self._lock:
                self._opened.append(conn)
        return conn

    @contextlib.contextmanager
    def _pg(self) -> Iterator[Any]:
        with self._lock:
            if self._pool is None:
                from psycopg_pool import ConnectionPool

                self._pool = ConnectionPool(
                    self._conninfo, min_size=1, max_size=4, open=True, timeout=10,
                    kwargs={"autocommit": True, "connect_timeout": 5},
                )
        with self._pool.connection() as conn:
            yield conn

    # -- reads --------------------------------------------------------------------------
    def scan(
        self, after: int = 0, upto: int | None = None, page: int = 2000
    ) -> Iterator[list[RawEntry]]:
        """Every entry after ``after`` (up to ``upto``), in pages, from one server-side cursor:
        memory stays one page whatever the size of the log."""
        limit = upto if upto is not None else 2**62
        if self._postgres:
            yield from self._scan_pg(after, limit, page)
        else:
            yield from self._scan_sqlite(after, limit, page)

    def _scan_pg(self, after: int, upto: int, page: int) -> Iterator[list[RawEntry]]:
        with self._pg() as conn, conn.transaction():
            name = f"scan_{uuid.uuid4().hex[:12]}"
            with conn.cursor(name=name) as cur:
                cur.itersize = page
                cur.execute(
                    "SELECT notification_id, originator_id::text, originator_version, topic, state"
                    f" FROM {self._table} WHERE notification_id > %s AND notification_id <= %s"
                    " ORDER BY notification_id",
                    (after, upto),
                )
                while rows := cur.fetchmany(page):
                    yield [RawEntry(r[0], r[1], r[2], r[3], bytes(r[4])) for r in rows]

    def _scan_sqlite(self, after: int, upto: int, page: int) -> Iterator[list[RawEntry]]:
        # A fresh connection: a scan may be paused (a slow client) while this thread reads
        # elsewhere, and SQLite cursors of one connection share its read transaction.
        conn = sqlite3.connect(f"file:{self._path}?mode=ro", uri=True, timeout=30)
        try:
            cur = conn.execute(
                "SELECT rowid, originator_id, originator_version, topic, state"
                f" FROM {self._table} WHERE rowid > ? AND rowid <= ? ORDER BY rowid",
                (after, upto),
            )
            while rows := cur.fetchmany(page):
                yield [RawEntry(r[0], _uuid_text(r[1]), r[2], r[3], r[4]) for r in rows]
        finally:
            conn.close()

    def entries(self, positions: Sequence[int]) -> list[RawEntry]:
        """The entries at these positions, in log order (one query)."""
        if not positions:
            return []
        if self._postgres:
            with self._pg() as conn:
                rows = conn.execute(
                    "SELECT notification_id, originator_id::text, originator_version, topic, state"
                    f" FROM {self._table} WHERE notification_id = ANY(%s) ORDER BY notification_id",
                    (list(positions),),
                ).fetchall()
            return [RawEntry(r[0], r[1], r[2], r[3], bytes(r[4])) for r in rows]
        found: list[RawEntry] = []
        conn = self._sqlite()
        for start in range(0, len(positions), 900):  # SQLite's bound-parameter limit
            chunk = positions[start:start + 900]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                "SELECT rowid, originator_id, originator_version, topic, state"
                f" FROM {self._table} WHERE rowid IN ({marks})",
                tuple(chunk),
            ).fetchall()
            found.extend(RawEntry(r[0], _uuid_text(r[1]), r[2], r[3], r[4]) for r in rows)
        found.sort(key=lambda e: e.position)
        return found

    def between(self, first: int, last: int) -> list[RawEntry]:
        """Every entry from position ``first`` to ``last``, in log order (one range read)."""
        return self._select(
            "notification_id BETWEEN %s AND %s ORDER BY notification_id", (first, last),
            "rowid BETWEEN ? AND ? ORDER BY rowid", (first, last),
        )

    def aggregate(self, originator_id: UUID, after_version: int = 0) -> list[RawEntry]:
        """One aggregate's entries after a version, in version order, with their positions."""
        return self._select(
            "originator_id = %s AND originator_version > %s ORDER BY originator_version",
            (originator_id, after_version),
            "originator_id = ? AND originator_version > ? ORDER BY originator_version",
            (originator_id.hex, after_version),
        )

    def _select(
        self, pg_where: str, pg_params: tuple[Any, ...], sqlite_where: str, sqlite_params: tuple[Any, ...]
    ) -> list[RawEntry]:
        """Entries chosen by a condition (each backend names the position and the id its own way)."""
        if self._postgres:
            with self._pg() as conn:
                rows = conn.execute(
                    "SELECT notification_id, originator_id::text, originator_version, topic, state"
                    f" FROM {self._table} WHERE {pg_where}",
                    pg_params,
                ).fetchall()
            return [RawEntry(r[0], r[1], r[2], r[3], bytes(r[4])) for r in rows]
        rows = self._sqlite().execute(
            "SELECT rowid, originator_id, originator_version, topic, state"
            f" FROM {self._table} WHERE {sqlite_where}",
            sqlite_params,
        ).fetchall()
        return [RawEntry(r[0], _uuid_text(r[1]), r[2], r[3], r[4]) for r in rows]

    def close(self) -> None:
        with self._lock:
            for conn in self._opened:
                with contextlib.suppress(Exception):
                    conn.close()
            self._opened.clear()
            if self._pool is not None:
                self._pool.close()
                self._pool = None
        self._local = threading.local()


def _uuid_text(stored: str) -> str:
    """SQLite keeps ids as 32 hex digits; every reader sees the dashed form."""
    if len(stored) != 32:
        return stored
    return f"{stored[:8]}-{stored[8:12]}-{stored[12:16]}-{stored[16:20]}-{stored[20:]}"

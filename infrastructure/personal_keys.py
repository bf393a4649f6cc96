"""Per-person data keys, kept beside the event log but outside it, and their tombstones.

One row per person: a random 256-bit key sealed by the master key (``SecretBox``, bound to the
person's id), or, once the person was erased, a tombstone (an empty key and ``erased_at``). A
tombstone is final: no key is ever created again for that person, so nothing written after
the erasure can be read either.

The table lives in the event database (the SQLite events file, or the event store's
PostgreSQL schema), not among the read models: a rebuild or a deleted read-model file must
never lose a key, because a lost key is an erased person. A tombstone is a synchronous commit,
so an acknowledged erasure survives a crash; a new key is flushed with the append that needs it.
"""

from __future__ import annotations

import base64
import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from infrastructure.secret_box import SecretBox
from infrastructure.settings import PostgresDsn, Settings

TABLE = "personal_data_keys"
_DDL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (subject_id TEXT PRIMARY KEY,"
    " sealed_key TEXT NOT NULL, created_at TEXT NOT NULL, erased_at TEXT)"
)


class _Erased:
    def __repr__(self) -> str:
        return "ERASED"


#: what ``fetch`` answers for a person whose key was destroyed
ERASED: Final = _Erased()
KeyState = bytes | _Erased | None  # a key, a tombstone, or no row yet


class PersonalKeys:
    def __init__(self, db: _Database, box: SecretBox) -> None:
        self._db = db
        self._box = box
        db.execute(_DDL)

    @classmethod
    def for_settings(cls, settings: Settings, sqlite_path: Path) -> PersonalKeys:
        box = SecretBox.from_settings(settings.secret_box_key, settings.data_dir)
        if settings.uses_postgres:
            dsn = PostgresDsn.parse(settings.database_url)
            return cls(_Postgres(dsn.conninfo(), dsn.schema), box)
        return cls(_Sqlite(sqlite_path), box)

    def fetch(self, subject: str) -> KeyState:
        return self._state(subject, self._db.fetch(f"SELECT * FROM {TABLE} WHERE subject_id = ?", (subject,)))

    def fetch_many(self, subjects: Iterable[str]) -> dict[str, KeyState]:
        wanted = sorted(set(subjects))
        found: dict[str, KeyState] = dict.fromkeys(wanted)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ", ".join("?" for _ in chunk)
            for row in self._db.fetch_all(
                f"SELECT * FROM {TABLE} WHERE subject_id IN ({marks})", chunk
            ):
                found[row["subject_id"]] = self._state(row["subject_id"], row)
        return found

    def create(self, subjects: Iterable[str]) -> dict[str, bytes | _Erased]:
        """Each person's key, made now for those who have none, in one statement (two
        processes racing agree on one key per person).

        Not flushed to disk on its own: the events that need the keys are appended after them,
        to the same write-ahead log, and flushing that append flushes these rows too."""
        wanted = sorted(set(subjects))
        if not wanted:
            return {}
        keys = {s: AESGCM.generate_key(bit_length=256) for s in wanted}
        now = _now()
        rows = [
            (s, self._box.seal(base64.b64encode(keys[s]).decode(), _context(s)), now) for s in wanted
        ]
        made = set(self._db.insert_lazily(
            f"INSERT INTO {TABLE} (subject_id, sealed_key, created_at) VALUES"
            f" {', '.join('(?, ?, ?)' for _ in rows)}"
            " ON CONFLICT (subject_id) DO NOTHING RETURNING subject_id",
            tuple(value for row in rows for value in row),
        ))
        out: dict[str, bytes | _Erased] = {s: keys[s] for s in made}
        for subject, state in self.fetch_many(set(wanted) - made).items():
            assert state is not None, "a key row was just written"
            out[subject] = state
        return out

    def destroy(self, subject: str) -> None:
        """Leave a tombstone in place of the key (idempotent), flushed to disk before this
        returns: an acknowledged erasure survives a crash."""
        now = _now()
        self._db.execute(
            f"INSERT INTO {TABLE} (subject_id, sealed_key, created_at, erased_at)"
            " VALUES (?, '', ?, ?) ON CONFLICT (subject_id) DO UPDATE SET sealed_key = '',"
            f" erased_at = COALESCE({TABLE}.erased_at, excluded.erased_at)",
            (subject, now, now),
        )

    def close(self) -> None:
        self._db.close()

    def _state(self, subject: str, row: dict[str, Any] | None) -> KeyState:
        if row is None:
            return None
        if row["erased_at"] is not None or not row["sealed_key"]:
            return ERASED
        return base64.b64decode(self._box.open(row["sealed_key"], _context(subject)))


def _context(subject: str) -> str:
    return f"personal-data-key:{subject}"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class _Database(Protocol):
    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        """A durable write (flushed before it returns)."""
        ...

    def insert_lazily(self, sql: str, params: tuple[Any, ...]) -> list[str]:
        """A write whose flush may wait for the next durable one; the first column of the rows
        it returned."""
        ...

    def fetch(self, sql: str, params: tuple[Any, ...]) -> dict[str, Any] | None: ...
    def fetch_all(self, sql: str, params: list[str]) -> list[dict[str, Any]]: ...
    def close(self) -> None: ...


class _Sqlite:
    """A connection per thread to the events file (WAL, as eventsourcing opens it)."""

    def __init__(self, path: Path) -> None:
        self._path = str(path)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        conn = self._conn()
        conn.execute("PRAGMA synchronous=FULL")
        try:
            conn.execute(sql, params)
        finally:
            conn.execute("PRAGMA synchronous=NORMAL")

    def insert_lazily(self, sql: str, params: tuple[Any, ...]) -> list[str]:
        return [row[0] for row in self._conn().execute(sql, params).fetchall()]

    def fetch(self, sql: str, params: tuple[Any, ...]) -> dict[str, Any] | None:
        row = self._conn().execute(sql, params).fetchone()
        return None if row is None else dict(row)

    def fetch_all(self, sql: str, params: list[str]) -> list[dict[str, Any]]:
        return [dict(r) for r in self._conn().execute(sql, params).fetchall()]

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._all.clear()
        self._local = threading.local()


class _Postgres:
    """A small pool in the event store's schema. Tombstones are synchronous commits (the read
    store turns them off: fine for derived rows, not for an erasure)."""

    def __init__(self, conninfo: str, schema: str) -> None:
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        def configure(conn: Any) -> None:
            conn.execute(f'SET search_path TO "{schema}"')

        self._schema = schema
        self._pool = ConnectionPool(
            conninfo, min_size=1, max_size=4, open=True, timeout=10, configure=configure,
            kwargs={"row_factory": dict_row, "connect_timeout": 5, "autocommit": True},
        )

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        with self._pool.connection() as conn:
            yield conn

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        with self._connection() as conn:
            if sql.startswith("CREATE"):
                # Processes starting together race on CREATE TABLE IF NOT EXISTS (not atomic
                # on PostgreSQL): they take turns.
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{self._schema}.{TABLE}",))
                    conn.execute(sql)
                return
            conn.execute(sql.replace("?", "%s"), params)

    def insert_lazily(self, sql: str, params: tuple[Any, ...]) -> list[str]:
        with self._connection() as conn, conn.transaction():
            conn.execute("SET LOCAL synchronous_commit TO OFF")
            rows = conn.execute(sql.replace("?", "%s"), params).fetchall()
            return [row["subject_id"] for row in rows]

    def fetch(self, sql: str, params: tuple[Any, ...]) -> dict[str, Any] | None:
        with self._connection() as conn:
            row: dict[str, Any] | None = conn.execute(sql.replace("?", "%s"), params).fetchone()
            return row

    def fetch_all(self, sql: str, params: list[str]) -> list[dict[str, Any]]:
        with self._connection() as conn:
            rows: list[dict[str, Any]] = conn.execute(sql.replace("?", "%s"), params).fetchall()
            return rows

    def close(self) -> None:
        self._pool.close()

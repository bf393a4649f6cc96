"""PostgreSQL advisory locks: one active writer per projection across processes.

All of a process's locks share ONE session (connection): advisory locks belong to the session
that took them, and a connection per projection per process quickly exhausts
``max_connections`` with several workers. If that session is lost, so are its locks: ``held``
reports it, and followers stop until they win the lock again (the position compare-and-set
keeps a stale follower harmless in the meantime).
"""

from __future__ import annotations

import threading
import zlib
from typing import Any

import psycopg


class AdvisoryLockSession:
    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._conn: Any = None
        self._mutex = threading.Lock()
        self._generation = 0  # bumped on every new connection: older grants are void

    def lock(self, name: str) -> AdvisoryLock:
        return AdvisoryLock(self, zlib.crc32(name.encode()))

    def _connection(self) -> Any:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5)
            self._generation += 1
        return self._conn

    def try_acquire(self, key: int) -> int | None:
        """The session generation under which ``key`` is now held, or None."""
        with self._mutex:
            conn = self._connection()
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
            return self._generation if row and row[0] else None

    def alive(self, generation: int) -> bool:
        conn = self._conn
        return (
            conn is not None and not conn.closed and not conn.broken
            and generation == self._generation
        )

    def release(self, key: int) -> None:
        with self._mutex:
            conn = self._conn
            if conn is not None and not conn.closed and not conn.broken:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    def close(self) -> None:
        with self._mutex:
            if self._conn is not None:
                self._conn.close()  # ending the session releases every lock it holds
                self._conn = None


class AdvisoryLock:
    def __init__(self, session: AdvisoryLockSession, key: int) -> None:
        self._session = session
        self._key = key
        self._generation: int | None = None

    def try_acquire(self) -> bool:
        self._generation = self._session.try_acquire(self._key)
        return self._generation is not None

    def held(self) -> bool:
        return self._generation is not None and self._session.alive(self._generation)

    def release(self) -> None:
        if self._generation is not None:
            self._session.release(self._key)
            self._generation = None

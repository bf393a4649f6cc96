"""PostgreSQL advisory locks: one active writer per projection across processes."""

from __future__ import annotations

import zlib
from typing import Any

import psycopg


class AdvisoryLock:
    def __init__(self, conninfo: str, name: str) -> None:
        self._conninfo = conninfo
        self._key = zlib.crc32(name.encode())
        self._conn: Any = None

    def try_acquire(self) -> bool:
        if self._conn is None:
            self._conn = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5)
        row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()
        return bool(row and row[0])

    def release(self) -> None:
        if self._conn is not None:
            self._conn.close()  # closing the session releases the lock
            self._conn = None

"""A queue for a SQLite file's write lock, shared by the processes that write it.

SQLite lets one writer in at a time; the others retry from its busy handler, which sleeps 1,
2, 5, 10, 15, 20 ms and more between tries, so under steady writes from two processes (the
API and its generation worker) a short write often waits tens of milliseconds for a lock
that was free long before. Taking an exclusive ``flock`` on a file beside the database first
queues the writers in the kernel instead: the next one runs the moment the holder lets go.
SQLite's own locking stays underneath, so a writer that does not take this lock is still safe.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class SqliteWriters:
    def __init__(self, database: Path | str) -> None:
        self._path = f"{database}-writers"
        self._fd: int | None = None
        # flock is held by an open file, not a thread: threads of one process queue here.
        self._threads = threading.Lock()

    def _file(self) -> int:
        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._fd

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._threads:
            fd = self._file()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._threads:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

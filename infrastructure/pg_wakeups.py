"""Cross-process wake-ups on PostgreSQL: LISTEN on the event store's NOTIFY channel, so followers
in another process react within milliseconds instead of waiting for their poll interval."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from psycopg import sql

log = logging.getLogger("learnstream.wakeups")


class PostgresWakeups:
    """``on_notify(head)``: ``head`` is the last position the append wrote (None if unknown)."""

    def __init__(self, conninfo: str, channel: str, on_notify: Callable[[int | None], None]) -> None:
        self._conninfo = conninfo
        self._channel = channel
        self._on_notify = on_notify
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-wakeups", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
                    while not self._stop.is_set():
                        for notify in conn.notifies(timeout=0.5, stop_after=1):
                            payload = notify.payload
                            self._on_notify(int(payload) if payload.isdigit() else None)
            except psycopg.Error:
                log.warning("LISTEN connection lost; retrying", exc_info=True)
                self._stop.wait(1.0)

    def stop(self) -> None:
        self._stop.set()

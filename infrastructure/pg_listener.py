"""LISTEN on a PostgreSQL NOTIFY channel from a thread of its own, reconnecting when the
connection is lost. Two channels use it: the event store's appends (followers in another
process react within milliseconds instead of waiting for their poll interval) and read-model
positions (``infrastructure/pg_positions.py``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from psycopg import sql

log = logging.getLogger("learnstream.listen")

RETRY_SECONDS = 1.0


class PostgresListener:
    """``on_payload`` gets each notification's payload; ``on_connected(True/False)``, when
    given, says whether nothing sent on the channel from now on can be missed."""

    def __init__(
        self,
        conninfo: str,
        channel: str,
        on_payload: Callable[[str], None],
        on_connected: Callable[[bool], None] | None = None,
    ) -> None:
        self._conninfo = conninfo
        self._channel = channel
        self._on_payload = on_payload
        self._on_connected = on_connected or (lambda connected: None)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"listen-{channel}"[:40], daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
                    self._on_connected(True)
                    while not self._stop.is_set():
                        for notify in conn.notifies(timeout=0.5):
                            self._on_payload(notify.payload)
                            if self._stop.is_set():
                                break
            except psycopg.Error:
                log.warning("LISTEN %s: connection lost; retrying", self._channel, exc_info=True)
                self._on_connected(False)
                self._stop.wait(RETRY_SECONDS)
        self._on_connected(False)

    def stop(self) -> None:
        self._stop.set()


def appended_head(payload: str) -> int | None:
    """The event store's NOTIFY payload: the last position an append wrote (None if unknown)."""
    return int(payload) if payload.isdigit() else None

"""Read-model positions told across processes on PostgreSQL (NOTIFY), so an API process without
followers of its own learns within a millisecond that a worker has applied its write.

Without them, an API process's read-your-writes wait polled the tracking table (1 ms, doubling
to 20 ms): at 8 connections creating courses that cost PostgreSQL 2.0 ms of CPU per request,
and the request a poll interval of latency.

A follower's batch transaction, which moves its tracking rows, also sends their new positions
(``notify_statement``: ``name=position`` pairs), so they are told exactly when they commit, at
the cost of one more statement in a pipeline already on its way. A listener hands each payload
to the ``PositionBoard``, which resolves its waiters; it says when it is connected, because
only then may a waiter rely on being told (otherwise the board polls as before). An advance over
events a projection ignores is told when it is saved (``PERSIST_IDLE_SECONDS``).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable

import psycopg
from psycopg import sql

log = logging.getLogger("learnstream.positions")

RETRY_SECONDS = 1.0


def positions_channel(schema: str) -> str:
    """One channel per schema: stores that share a database must not hear each other."""
    channel = f"learnstream_positions_{schema}"
    if len(channel.encode()) > 63:  # PostgreSQL's identifier limit
        channel = "learnstream_positions_" + hashlib.sha256(schema.encode()).hexdigest()[:20]
    return channel


NOTIFY_STATEMENT = "SELECT pg_notify(?, ?)"


def encode_positions(positions: dict[str, int]) -> str:
    return " ".join(f"{name}={position}" for name, position in sorted(positions.items()))


def decode_positions(payload: str) -> dict[str, int]:
    """The pairs of a payload; anything malformed is left out."""
    out: dict[str, int] = {}
    for pair in payload.split():
        name, _, position = pair.partition("=")
        if name and position.isdigit():
            out[name] = int(position)
    return out


class PositionListener:
    """LISTENs on the positions channel: ``on_positions`` gets each payload's pairs,
    ``on_connected(True/False)`` says whether nothing sent from now on can be missed."""

    def __init__(
        self,
        conninfo: str,
        channel: str,
        on_positions: Callable[[dict[str, int]], None],
        on_connected: Callable[[bool], None],
    ) -> None:
        self._conninfo = conninfo
        self._channel = channel
        self._on_positions = on_positions
        self._on_connected = on_connected
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-positions-in", daemon=True)

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
                            self._on_positions(decode_positions(notify.payload))
                            if self._stop.is_set():
                                break
            except psycopg.Error:
                log.warning("positions LISTEN connection lost; retrying", exc_info=True)
                self._on_connected(False)
                self._stop.wait(RETRY_SECONDS)
        self._on_connected(False)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

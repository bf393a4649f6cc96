"""Read-model positions told across processes on PostgreSQL (NOTIFY), so an API process without
followers of its own learns within a millisecond that a worker has applied its write.

Without them, an API process's read-your-writes wait polled the tracking table (1 ms, doubling
to 20 ms): at 8 connections creating courses that cost PostgreSQL 2.0 ms of CPU per request,
and the request a poll interval of latency.

A follower's batch transaction, which moves its tracking rows, also sends their new positions
(``NOTIFY_STATEMENT``: ``name=position`` pairs), so they are told exactly when they commit, at
the cost of one more statement in a pipeline already on its way. A listener (``pg_listener``)
hands each payload to the ``PositionBoard``, which resolves its waiters; it says when it is
connected, because only then may a waiter rely on being told (otherwise the board polls as
before). An advance over events a projection ignores is told when it is saved
(``PERSIST_IDLE_SECONDS``).
"""

from __future__ import annotations

import hashlib


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

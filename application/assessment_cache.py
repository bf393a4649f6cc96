"""The sessions a process worked on last, kept between turns (see ``application.assessment``)."""

from __future__ import annotations

import time
from collections import OrderedDict

from application.assessment_engine import SessionCipher
from domain.assessment import Assessment


class SessionCache:
    """Sessions this process worked on last, with their data keys: bounded, and each entry
    short-lived, so a session another process moved on (or deleted) is read from the stores
    again soon even if no append here ever collides."""

    def __init__(self, size: int = 10_000, ttl_seconds: float = 300.0) -> None:
        self._entries: OrderedDict[str, tuple[Assessment, SessionCipher, float]] = OrderedDict()
        self._size = size
        self._ttl = ttl_seconds

    def keep(self, agg: Assessment, cipher: SessionCipher) -> None:
        session_id = str(agg.id)
        self._entries[session_id] = (agg, cipher, time.monotonic() + self._ttl)
        self._entries.move_to_end(session_id)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def _entry(self, session_id: str) -> tuple[Assessment, SessionCipher, float] | None:
        entry = self._entries.get(session_id)
        if entry is not None and entry[2] < time.monotonic():
            del self._entries[session_id]
            return None
        return entry

    def aggregate(self, session_id: str) -> Assessment | None:
        entry = self._entry(session_id)
        return entry[0] if entry is not None else None

    def cipher(self, session_id: str) -> SessionCipher | None:
        entry = self._entry(session_id)
        return entry[1] if entry is not None else None

    def drop(self, session_id: str) -> None:
        self._entries.pop(session_id, None)

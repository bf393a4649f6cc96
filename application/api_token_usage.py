"""When each API token was last used, recorded off the request path."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from projections.queries.api_tokens import TokenUsage

log = logging.getLogger("learnstream.api_tokens")


class UsageCoalescer:
    """Keeps the newest use of each token in memory; a background thread writes them in one
    small batch every ``interval`` seconds (and on close), so requests never wait on a write."""

    def __init__(self, usage: TokenUsage, interval: float) -> None:
        self._usage = usage
        self._interval = interval
        self._pending: dict[str, datetime] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def touch(self, token_uuid: str, when: datetime) -> None:
        with self._lock:
            self._pending[token_uuid] = when
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="token-usage", daemon=True)
                self._thread.start()

    def pending(self) -> dict[str, str]:
        with self._lock:
            return {k: v.isoformat() for k, v in self._pending.items()}

    def flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, {}
        try:
            self._usage.record({k: v.isoformat() for k, v in batch.items()})
        except Exception:
            log.warning("could not record API token usage; will retry", exc_info=True)
            with self._lock:
                for key, value in batch.items():
                    self._pending.setdefault(key, value)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.flush()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()

"""In-process login throttle: after N failures a key (account or IP) is locked for a while."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence

from domain.errors import Locked


class MemoryLoginThrottle:
    def __init__(
        self,
        max_failures: int,
        lockout_seconds: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max = max_failures
        self._lockout = lockout_seconds
        self._clock = clock
        self._failures: dict[str, list[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def check(self, keys: Sequence[str]) -> None:
        now = self._clock()
        with self._lock:
            until = max((self._locked_until.get(k, 0.0) for k in keys), default=0.0)
        if until > now:
            wait = math.ceil(until - now)
            raise Locked(
                f"Too many login attempts. Please try again in {wait} seconds.", retry_after=wait
            )

    def failed(self, keys: Sequence[str]) -> None:
        now = self._clock()
        with self._lock:
            for key in keys:
                recent = [t for t in self._failures.get(key, []) if now - t < self._lockout]
                recent.append(now)
                self._failures[key] = recent
                # IP keys tolerate more failures: many users may share one address.
                limit = self._max * 4 if key.startswith("ip:") else self._max
                if len(recent) >= limit:
                    self._locked_until[key] = now + self._lockout
                    self._failures[key] = []

    def succeeded(self, keys: Sequence[str]) -> None:
        with self._lock:
            for key in keys:
                if key.startswith("account:"):
                    self._failures.pop(key, None)

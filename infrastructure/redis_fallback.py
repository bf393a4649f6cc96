"""Redis or, while it is unreachable, an in-process stand-in.

Rate limits and login throttling must never switch off because Redis went away: that is
exactly when an attacker would like them gone. While Redis fails, each process decides on
its own (limits become per process, which is looser but still a limit); one request every
``retry_seconds`` probes Redis, and the first answer puts it back in charge.

The counts are process-wide, per component (``rate_limit``, ``login_throttle``):
``fallbacks_total()`` counts decisions made in-process because Redis was unreachable,
``outages_total()`` counts switches from Redis to the stand-in (each logged once). A metrics
module that must count as events happen (multi-process exposition) registers a callback with
``subscribe``; it is called with ``("fallback" | "outage", component)``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

log = logging.getLogger("learnstream.redis_fallback")

T = TypeVar("T")

_counts_lock = threading.Lock()
_fallbacks: dict[str, int] = {}
_outages: dict[str, int] = {}
_listeners: list[Callable[[str, str], None]] = []
FALLBACK = "fallback"
OUTAGE = "outage"


def fallbacks_total() -> dict[str, int]:
    """Component (``rate_limit``, ``login_throttle``) → decisions made in-process so far."""
    with _counts_lock:
        return dict(_fallbacks)


def outages_total() -> dict[str, int]:
    """Component → times it lost Redis and switched to its in-process stand-in."""
    with _counts_lock:
        return dict(_outages)


def subscribe(listener: Callable[[str, str], None]) -> None:
    """Call ``listener(event, component)`` on every fallback decision and every outage."""
    with _counts_lock:
        _listeners.append(listener)


def _count(event: str, component: str) -> None:
    table = _fallbacks if event == FALLBACK else _outages
    with _counts_lock:
        table[component] = table.get(component, 0) + 1
        listeners = list(_listeners)
    for listener in listeners:
        try:
            listener(event, component)
        except Exception:
            log.exception("redis fallback listener failed")


def redis_errors() -> tuple[type[BaseException], ...]:
    """What "Redis is not answering" looks like: any client error, or the socket's own."""
    import redis

    return (redis.exceptions.RedisError, OSError)


class RedisFallback:
    """Decides, per call, whether Redis or the stand-in answers; thread-safe."""

    def __init__(
        self,
        component: str,
        retry_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.component = component
        self._retry = retry_seconds
        self._clock = clock
        self._errors = redis_errors()
        self._lock = threading.Lock()
        self._down = False
        self._probe_at = 0.0

    @property
    def down(self) -> bool:
        return self._down

    def _use_redis(self) -> bool:
        with self._lock:
            if not self._down:
                return True
            now = self._clock()
            if now < self._probe_at:
                return False
            # This caller probes; the others keep to the stand-in until it has an answer.
            self._probe_at = now + self._retry
            return True

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            was_up = not self._down
            self._down = True
            self._probe_at = self._clock() + self._retry
        if was_up:
            _count(OUTAGE, self.component)
            log.warning(
                "%s: Redis unreachable (%s: %s); deciding in-process, retrying every %.0f s",
                self.component, type(exc).__name__, exc, self._retry,
            )

    def _answered(self) -> None:
        if self._down:
            with self._lock:
                was_down, self._down = self._down, False
            if was_down:
                log.warning("%s: Redis answers again; back to shared decisions", self.component)

    def _local(self, local: Callable[[], T]) -> T:
        _count(FALLBACK, self.component)
        return local()

    def call(self, remote: Callable[[], T], local: Callable[[], T]) -> T:
        if self._use_redis():
            try:
                result = remote()
            except self._errors as exc:
                self._failed(exc)
            else:
                self._answered()
                return result
        return self._local(local)

    async def call_async(self, remote: Callable[[], Awaitable[T]], local: Callable[[], T]) -> T:
        if self._use_redis():
            try:
                result = await remote()
            except self._errors as exc:
                self._failed(exc)
            else:
                self._answered()
                return result
        return self._local(local)

"""Sliding-window limits: at most ``count`` requests in ANY ``period`` seconds.

LearningStudio's limit is "30 requests / minute / key": the 31st request within a minute is
refused however the 30 before it were spread. GCRA (``infrastructure.rate_limit``) smooths a
limit into a steady rate instead (one request every 2 s after a burst of 30), so this limit
keeps the time of each accepted request: in-process, or in a Redis sorted set (one Lua script,
Redis' own clock) so every API process shares one window. While Redis is unreachable each
process decides on its own, like the other limiters.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from infrastructure.rate_limit import Limit
from infrastructure.redis_fallback import RedisFallback


class WindowLimiter(Protocol):
    async def hit(self, key: str, limit: Limit) -> float | None:
        """Count a request: None when allowed, else the seconds until one would be."""
        ...


class MemoryWindowLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._max_keys = max_keys

    def hit_sync(self, key: str, limit: Limit) -> float | None:
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - limit.period:
                hits.popleft()
            if len(hits) >= limit.count:
                return hits[0] + limit.period - now
            hits.append(now)
            if len(self._hits) > self._max_keys:
                self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - limit.period}
        return None

    async def hit(self, key: str, limit: Limit) -> float | None:
        return self.hit_sync(key, limit)


# KEYS[1]: the window's sorted set. ARGV: count, period_ms, a unique member suffix.
# Returns {allowed (0/1), retry_ms}.
WINDOW_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local count = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
if redis.call('ZCARD', KEYS[1]) >= count then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, math.ceil(tonumber(oldest[2]) + period - now)}
end
redis.call('ZADD', KEYS[1], now, string.format('%.3f', now) .. ':' .. ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(period))
return {1, 0}
"""


class RedisWindowLimiter:
    def __init__(self, url: str, prefix: str, retry_seconds: float = 5.0) -> None:
        self._url = url
        self._prefix = prefix
        self._scripts: dict[int, Any] = {}
        self._lock = threading.Lock()
        self._local = MemoryWindowLimiter()
        self._fallback = RedisFallback("rate_limit", retry_seconds)

    def _script(self) -> Any:
        """One client per event loop (an asyncio client is bound to its loop)."""
        import redis.asyncio as aioredis

        loop_id = id(asyncio.get_running_loop())
        script = self._scripts.get(loop_id)
        if script is None:
            client = aioredis.Redis.from_url(self._url, socket_timeout=2, socket_connect_timeout=2)
            script = client.register_script(WINDOW_LUA)
            with self._lock:
                self._scripts[loop_id] = script
        return script

    async def hit(self, key: str, limit: Limit) -> float | None:
        async def remote() -> float | None:
            allowed, retry_ms = await self._script()(
                keys=[self._prefix + key],
                args=[limit.count, f"{limit.period * 1000:.0f}", uuid.uuid4().hex[:12]],
            )
            return None if int(allowed) else max(0.001, int(retry_ms) / 1000)

        return await self._fallback.call_async(remote, lambda: self._local.hit_sync(key, limit))

"""Rate limiting with GCRA (the generic cell rate algorithm).

A limit is ``count`` requests per ``period`` seconds, with a burst of ``count``. GCRA keeps one
number per key (the theoretical arrival time, TAT), so a decision is O(1) in time and space
and exact, unlike fixed windows. Several keys can be checked in one decision (per credential
AND per IP): the request passes only if every key passes, and then every key is charged.

Two backends with one behaviour: in-process (the embedded default) and Redis (one Lua script,
atomic, using Redis' own clock so processes with skewed clocks share one limit). While Redis
is unreachable each process limits on its own (``infrastructure.redis_fallback``).
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import msgspec

from infrastructure.redis_fallback import RedisFallback


class Limit(msgspec.Struct, frozen=True):
    count: int
    period: float  # seconds

    @classmethod
    def parse(cls, text: str) -> Limit:
        """``"600/60"`` → 600 requests per 60 s."""
        count, _, period = text.partition("/")
        limit = cls(int(count), float(period or 1))
        if limit.count < 1 or limit.period <= 0:
            raise ValueError(f"bad rate limit {text!r}: want COUNT/SECONDS")
        return limit

    @property
    def interval_ms(self) -> float:
        return self.period * 1000.0 / self.count

    def policy(self) -> str:
        return f"{self.count};w={int(self.period)}"


class Decision(msgspec.Struct, frozen=True):
    allowed: bool
    limit: Limit
    remaining: int
    reset_after: float  # seconds until the tightest bucket is full again
    retry_after: float  # seconds until a denied request would pass (0 when allowed)

    def headers(self) -> dict[str, str]:
        out = {
            "RateLimit-Limit": str(self.limit.count),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(math.ceil(self.reset_after)),
            "RateLimit-Policy": self.limit.policy(),
        }
        if not self.allowed:
            out["Retry-After"] = str(max(1, math.ceil(self.retry_after)))
        return out


class RateLimiter(Protocol):
    async def hit(self, checks: Sequence[tuple[str, Limit]]) -> Decision: ...
    def close(self) -> None: ...


def _decide(
    now_ms: float, checks: Sequence[tuple[str, Limit]], tats: Sequence[float]
) -> tuple[Decision, list[float]]:
    """GCRA over several buckets: new TATs to store (only if allowed) and the decision."""
    new_tats: list[float] = []
    denied_wait = 0.0
    tightest: tuple[int, float, Limit] | None = None
    for (_, limit), tat in zip(checks, tats, strict=True):
        period_ms = limit.period * 1000.0
        new_tat = max(tat, now_ms) + limit.interval_ms
        allow_at = new_tat - period_ms
        if allow_at > now_ms:
            denied_wait = max(denied_wait, allow_at - now_ms)
            remaining = 0
            reset = max(tat, now_ms) - now_ms
        else:
            remaining = int((period_ms - (new_tat - now_ms)) // limit.interval_ms)
            reset = new_tat - now_ms
        new_tats.append(new_tat)
        if tightest is None or remaining < tightest[0]:
            tightest = (remaining, reset, limit)
    assert tightest is not None
    remaining, reset, limit = tightest
    decision = Decision(
        allowed=denied_wait == 0.0,
        limit=limit,
        remaining=remaining,
        reset_after=reset / 1000.0,
        retry_after=denied_wait / 1000.0,
    )
    return decision, new_tats


class MemoryRateLimiter:
    """One process's limiter: exact, lock-protected, with idle buckets pruned."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000):
        self._clock = clock
        self._tats: dict[str, float] = {}
        self._lock = threading.Lock()
        self._max_keys = max_keys

    def hit_sync(self, checks: Sequence[tuple[str, Limit]]) -> Decision:
        now_ms = self._clock() * 1000.0
        with self._lock:
            tats = [self._tats.get(key, 0.0) for key, _ in checks]
            decision, new_tats = _decide(now_ms, checks, tats)
            if decision.allowed:
                for (key, _), tat in zip(checks, new_tats, strict=True):
                    self._tats[key] = tat
                if len(self._tats) > self._max_keys:
                    # A bucket whose TAT is past is full again: forgetting it changes nothing.
                    self._tats = {k: v for k, v in self._tats.items() if v > now_ms}
        return decision

    async def hit(self, checks: Sequence[tuple[str, Limit]]) -> Decision:
        return self.hit_sync(checks)

    def close(self) -> None:
        return None


# KEYS: bucket keys. ARGV: interval_ms, period_ms for each key, in order.
# Returns {allowed (0/1), index of tightest bucket, remaining, reset_ms, retry_ms}.
GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local n = #KEYS
local new_tats = {}
local wait = 0
local best, best_remaining, best_reset = 1, nil, 0
for i = 1, n do
  local interval = tonumber(ARGV[2 * i - 1])
  local period = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  local base = math.max(tat, now)
  local new_tat = base + interval
  local allow_at = new_tat - period
  local remaining, reset
  if allow_at > now then
    wait = math.max(wait, allow_at - now)
    remaining = 0
    reset = base - now
  else
    remaining = math.floor((period - (new_tat - now)) / interval)
    reset = new_tat - now
  end
  new_tats[i] = new_tat
  if best_remaining == nil or remaining < best_remaining then
    best, best_remaining, best_reset = i, remaining, reset
  end
end
if wait == 0 then
  for i = 1, n do
    redis.call('SET', KEYS[i], string.format('%.3f', new_tats[i]), 'PX',
      math.max(1, math.ceil(new_tats[i] - now)))
  end
end
return {wait == 0 and 1 or 0, best - 1, best_remaining, math.ceil(best_reset), math.ceil(wait)}
"""


class RedisRateLimiter:
    """Shared by every API process pointing at one Redis; keys live under ``prefix``.

    While Redis is unreachable an in-process limiter decides (with one warning and a count in
    ``redis_fallback.fallbacks_total()``), so losing Redis neither takes the API down nor
    switches limits off.
    """

    def __init__(self, url: str, prefix: str, retry_seconds: float = 5.0) -> None:
        self._url = url
        self._prefix = prefix
        self._clients: dict[int, Any] = {}
        self._scripts: dict[int, Any] = {}
        self._sync: Any = None
        self._lock = threading.Lock()
        self._local = MemoryRateLimiter()
        self._fallback = RedisFallback("rate_limit", retry_seconds)

    def _script(self) -> Any:
        """One asyncio client per event loop (a client is bound to the loop it was made on)."""
        import redis.asyncio as aioredis

        loop_id = id(asyncio.get_running_loop())
        script = self._scripts.get(loop_id)
        if script is None:
            client = aioredis.Redis.from_url(self._url, socket_timeout=2, socket_connect_timeout=2)
            script = client.register_script(GCRA_LUA)
            with self._lock:
                self._clients[loop_id] = client
                self._scripts[loop_id] = script
        return script

    def _args(self, checks: Sequence[tuple[str, Limit]]) -> tuple[list[str], list[str]]:
        keys = [self._prefix + key for key, _ in checks]
        argv: list[str] = []
        for _, limit in checks:
            argv += [f"{limit.interval_ms:.3f}", f"{limit.period * 1000.0:.3f}"]
        return keys, argv

    @staticmethod
    def _decision(checks: Sequence[tuple[str, Limit]], raw: Sequence[Any]) -> Decision:
        allowed, index, remaining, reset_ms, retry_ms = (int(x) for x in raw)
        return Decision(
            allowed=bool(allowed),
            limit=checks[index][1],
            remaining=remaining,
            reset_after=reset_ms / 1000.0,
            retry_after=retry_ms / 1000.0,
        )

    async def hit(self, checks: Sequence[tuple[str, Limit]]) -> Decision:
        keys, argv = self._args(checks)

        async def remote() -> Decision:
            return self._decision(checks, await self._script()(keys=keys, args=argv))

        return await self._fallback.call_async(remote, lambda: self._local.hit_sync(checks))

    def hit_sync(self, checks: Sequence[tuple[str, Limit]]) -> Decision:
        """The same decision from synchronous code (benchmarks, CLI)."""
        import redis

        if self._sync is None:
            client = redis.Redis.from_url(self._url, socket_timeout=2, socket_connect_timeout=2)
            self._sync = client.register_script(GCRA_LUA)
        keys, argv = self._args(checks)
        return self._fallback.call(
            lambda: self._decision(checks, self._sync(keys=keys, args=argv)),
            lambda: self._local.hit_sync(checks),
        )

    def close(self) -> None:
        # Async clients are closed with their loop; drop our references.
        with self._lock:
            self._clients.clear()
            self._scripts.clear()

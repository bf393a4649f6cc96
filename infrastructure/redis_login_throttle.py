"""Login throttle in Redis: the same rule as ``MemoryLoginThrottle`` (N failures within the
lockout window lock a key for the lockout period; IP keys tolerate 4 x N), shared by every API
process, so an attacker cannot spread guesses across processes."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from domain.errors import Locked

log = logging.getLogger("learnstream.login_throttle")

# KEYS[1]: failure counter, KEYS[2]: lock. ARGV: limit, window_seconds.
FAILED_LUA = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if n >= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'EX', ARGV[2])
  redis.call('DEL', KEYS[1])
end
return n
"""


class RedisLoginThrottle:
    def __init__(self, url: str, prefix: str, max_failures: int, lockout_seconds: int) -> None:
        import redis

        self._redis: Any = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._failed = self._redis.register_script(FAILED_LUA)
        self._prefix = prefix + "login:"
        self._max = max_failures
        self._lockout = lockout_seconds

    def _lock_key(self, key: str) -> str:
        return f"{self._prefix}lock:{key}"

    def check(self, keys: Sequence[str]) -> None:
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.pttl(self._lock_key(key))
                ttls = pipe.execute()
        except Exception:
            # Fail open: argon2's cost still bounds guessing while Redis is down.
            log.warning("login throttle: Redis unavailable", exc_info=True)
            return
        wait_ms = max((int(t) for t in ttls if t and int(t) > 0), default=0)
        if wait_ms > 0:
            wait = -(-wait_ms // 1000)
            raise Locked(
                f"Too many login attempts. Please try again in {wait} seconds.", retry_after=wait
            )

    def failed(self, keys: Sequence[str]) -> None:
        for key in keys:
            limit = self._max * 4 if key.startswith("ip:") else self._max
            try:
                self._failed(
                    keys=[f"{self._prefix}fail:{key}", self._lock_key(key)],
                    args=[limit, self._lockout],
                )
            except Exception:
                log.warning("login throttle: Redis unavailable", exc_info=True)

    def succeeded(self, keys: Sequence[str]) -> None:
        accounts = [f"{self._prefix}fail:{k}" for k in keys if k.startswith("account:")]
        if accounts:
            try:
                self._redis.delete(*accounts)
            except Exception:
                log.warning("login throttle: Redis unavailable", exc_info=True)

    def close(self) -> None:
        self._redis.close()

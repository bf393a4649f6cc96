"""Login throttle in Redis: the rule of ``infrastructure.login_throttle``, shared by every API
process, so an attacker cannot spread guesses across processes.

While Redis is unreachable an in-process ``MemoryLoginThrottle`` stands in (see
``infrastructure.redis_fallback``): throttling gets per-process, it never switches off.
"""

from __future__ import annotations

from typing import Any

from infrastructure.login_throttle import MemoryLoginThrottle, ThrottleRule
from infrastructure.redis_fallback import RedisFallback

# KEYS: pair counter, pair lock, address counter, address lock, account counter.
# ARGV: pair limit, address limit, window seconds. Returns the account's failure count.
# A counter lives for the window from its first failure; reaching its limit locks the key
# for the window and starts the count again.
FAILED_LUA = """
local function count(counter, lock, limit, window)
  local n = redis.call('INCR', counter)
  if n == 1 then redis.call('EXPIRE', counter, window) end
  if limit > 0 and n >= limit then
    redis.call('SET', lock, '1', 'EX', window)
    redis.call('DEL', counter)
  end
  return n
end
count(KEYS[1], KEYS[2], tonumber(ARGV[1]), ARGV[3])
count(KEYS[3], KEYS[4], tonumber(ARGV[2]), ARGV[3])
return count(KEYS[5], nil, 0, ARGV[3])
"""


class RedisLoginThrottle:
    def __init__(
        self,
        url: str,
        prefix: str,
        max_failures: int,
        lockout_seconds: int,
        retry_seconds: float = 5.0,
    ) -> None:
        import redis

        self._redis: Any = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._failed = self._redis.register_script(FAILED_LUA)
        self._prefix = prefix + "login:"
        self.rule = ThrottleRule(max_failures, lockout_seconds)
        self._local = MemoryLoginThrottle(max_failures, lockout_seconds)
        self._fallback = RedisFallback("login_throttle", retry_seconds)

    def _lock_key(self, key: str) -> str:
        return f"{self._prefix}lock:{key}"

    def _fail_key(self, key: str) -> str:
        return f"{self._prefix}fail:{key}"

    def check(self, account: str, address: str) -> None:
        keys = self.rule.keys(account, address)

        def remote() -> None:
            with self._redis.pipeline(transaction=False) as pipe:
                pipe.pttl(self._lock_key(keys.pair))
                pipe.pttl(self._lock_key(keys.address))
                ttls = pipe.execute()
            wait_ms = max((int(t) for t in ttls if t and int(t) > 0), default=0)
            if wait_ms > 0:
                raise self.rule.refusal(wait_ms / 1000)

        self._fallback.call(remote, lambda: self._local.check(account, address))

    def failed(self, account: str, address: str) -> float:
        keys = self.rule.keys(account, address)

        def remote() -> float:
            account_failures = self._failed(
                keys=[
                    self._fail_key(keys.pair), self._lock_key(keys.pair),
                    self._fail_key(keys.address), self._lock_key(keys.address),
                    self._fail_key(keys.account),
                ],
                args=[self.rule.max_failures, self.rule.address_failures, self.rule.lockout_seconds],
            )
            return self.rule.delay(int(account_failures))

        return self._fallback.call(remote, lambda: self._local.failed(account, address))

    def succeeded(self, account: str, address: str) -> None:
        pair = self.rule.keys(account, address).pair
        self._fallback.call(
            lambda: self._redis.delete(self._fail_key(pair)),
            lambda: self._local.succeeded(account, address),
        )

    def close(self) -> None:
        self._redis.close()

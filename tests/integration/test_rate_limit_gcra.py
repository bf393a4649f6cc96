"""GCRA decisions, in process and in Redis: the same rule with both backends."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from infrastructure.rate_limit import Limit, MemoryRateLimiter, RedisRateLimiter
from tests.conftest import REDIS_URL, require_service


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limit_parses_count_per_seconds():
    assert Limit.parse("600/60") == Limit(600, 60.0)
    with pytest.raises(ValueError):
        Limit.parse("0/60")


def test_memory_limiter_allows_a_burst_then_one_per_interval():
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock)
    limit = Limit(5, 10.0)  # one every 2 s, bursts of 5
    decisions = [limiter.hit_sync([("k", limit)]) for _ in range(6)]
    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert [d.remaining for d in decisions[:5]] == [4, 3, 2, 1, 0]
    denied = decisions[-1]
    assert denied.retry_after == pytest.approx(2.0)
    assert denied.headers()["Retry-After"] == "2"
    clock.now += 2.0
    assert limiter.hit_sync([("k", limit)]).allowed
    assert not limiter.hit_sync([("k", limit)]).allowed
    # Another key has its own budget.
    assert limiter.hit_sync([("other", limit)]).allowed


def test_memory_limiter_charges_every_key_only_when_all_pass():
    limiter = MemoryRateLimiter(clock=FakeClock())
    tight, wide = Limit(2, 60.0), Limit(100, 60.0)
    for _ in range(2):
        assert limiter.hit_sync([("cred", tight), ("ip", wide)]).allowed
    refused = limiter.hit_sync([("cred", tight), ("ip", wide)])
    assert not refused.allowed and refused.limit == tight
    # The refused request did not spend the IP budget: 98 left for other credentials.
    assert limiter.hit_sync([("cred2", wide), ("ip", wide)]).remaining == 97


@pytest.mark.redis
def test_redis_limiter_same_rule_shared_by_two_limiters():
    require_service("Redis", "127.0.0.1", 6379)
    prefix = f"lstest:{uuid.uuid4().hex}:"
    one, two = RedisRateLimiter(REDIS_URL, prefix), RedisRateLimiter(REDIS_URL, prefix)
    limit = Limit(6, 3600.0)  # slow refill: no timing in this test
    allowed = []
    for i in range(10):
        limiter = one if i % 2 else two
        allowed.append(limiter.hit_sync([("tok", limit), ("ip", Limit(1000, 60.0))]).allowed)
    assert allowed == [True] * 6 + [False] * 4
    denied = one.hit_sync([("tok", limit)])
    assert denied.remaining == 0 and 590 <= denied.retry_after <= 600


@pytest.mark.redis
def test_redis_limiter_async_path():
    require_service("Redis", "127.0.0.1", 6379)
    limiter = RedisRateLimiter(REDIS_URL, f"lstest:{uuid.uuid4().hex}:")

    async def run() -> list[bool]:
        results = await asyncio.gather(*(limiter.hit([("a", Limit(3, 3600.0))]) for _ in range(5)))
        return [d.allowed for d in results]

    assert sorted(asyncio.run(run())) == [False, False, True, True, True]


def test_redis_unreachable_falls_back_to_the_in_process_limiter():
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", "x:")

    async def two_hits() -> list[bool]:
        return [(await limiter.hit([("a", Limit(1, 60.0))])).allowed for _ in range(2)]

    # Still limited with Redis gone: the first hit passes, the second is refused.
    assert asyncio.run(two_hits()) == [True, False]

"""The login throttle's rule on both throttles (in-process, and Redis where it runs): a pair
or an address gets locked, an account never does; the in-process one stays bounded."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from domain.errors import Locked
from infrastructure.login_throttle import MemoryLoginThrottle
from tests.conftest import REDIS_URL, require_service

MAX = 5
LOCKOUT = 300
ADMIN = "admin@example.com"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def throttle(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "redis":
        require_service("Redis", "127.0.0.1", 6379)
        from infrastructure.redis_login_throttle import RedisLoginThrottle

        redis_throttle = RedisLoginThrottle(REDIS_URL, f"lstest:{uuid.uuid4().hex}:", MAX, LOCKOUT)
        yield redis_throttle
        redis_throttle.close()
    else:
        yield MemoryLoginThrottle(MAX, LOCKOUT)


def locked(throttle: Any, account: str, address: str) -> int | None:
    """The Retry-After a sign-in would get, or None when it may go ahead."""
    try:
        throttle.check(account, address)
    except Locked as exc:
        return exc.retry_after
    return None


def fail(throttle: Any, account: str, address: str, times: int) -> list[float]:
    holds = []
    for _ in range(times):
        assert locked(throttle, account, address) is None
        holds.append(throttle.failed(account, address))
    return holds


def test_a_pair_is_locked_after_max_failures_and_only_that_pair(throttle: Any):
    fail(throttle, ADMIN, "198.51.100.7", MAX - 1)
    assert locked(throttle, ADMIN, "198.51.100.7") is None
    throttle.failed(ADMIN, "198.51.100.7")
    wait = locked(throttle, ADMIN, "198.51.100.7")
    assert wait is not None and 0 < wait <= LOCKOUT
    # The owner, elsewhere, is not locked out; nor is the attacker's address for other accounts.
    assert locked(throttle, ADMIN, "203.0.113.9") is None
    assert locked(throttle, "someone@example.com", "198.51.100.7") is None


def test_an_account_is_never_locked_however_many_addresses_fail(throttle: Any):
    for n in range(12):
        fail(throttle, ADMIN, f"198.51.100.{n}", MAX)
        assert locked(throttle, ADMIN, f"198.51.100.{n}") is not None
    assert locked(throttle, ADMIN, "203.0.113.9") is None


def test_account_wide_failures_only_hold_failed_answers_back_a_little(throttle: Any):
    holds: list[float] = []
    for n in range(6):
        holds += fail(throttle, ADMIN, f"198.51.100.{n}", MAX)
    # One address alone (at most MAX failures before its pair locks) is never slowed down.
    assert holds[:MAX] == [0.0] * MAX
    assert holds[-1] > 0
    assert holds == sorted(holds)
    assert max(holds) <= 1.0
    # Another account is not slowed down by this one's failures.
    assert fail(throttle, "someone@example.com", "203.0.113.9", 1) == [0.0]


def test_an_address_failing_across_accounts_is_locked(throttle: Any):
    for n in range(MAX * 4):
        assert locked(throttle, f"user{n}@example.com", "198.51.100.7") is None
        throttle.failed(f"user{n}@example.com", "198.51.100.7")
    assert locked(throttle, "fresh@example.com", "198.51.100.7") is not None
    assert locked(throttle, "fresh@example.com", "203.0.113.9") is None


def test_a_success_forgets_the_pair_but_not_the_address(throttle: Any):
    fail(throttle, ADMIN, "198.51.100.7", MAX - 1)
    throttle.succeeded(ADMIN, "198.51.100.7")
    fail(throttle, ADMIN, "198.51.100.7", MAX - 1)
    assert locked(throttle, ADMIN, "198.51.100.7") is None
    # 8 failures from this address so far; 12 more on other accounts lock it.
    for n in range(MAX * 4 - 2 * (MAX - 1)):
        throttle.failed(f"user{n}@example.com", "198.51.100.7")
    assert locked(throttle, ADMIN, "198.51.100.7") is not None


def test_accounts_are_matched_without_case_or_length_limits(throttle: Any):
    long_name = "x" * 100_000 + "@example.com"
    fail(throttle, long_name, "198.51.100.7", MAX)
    assert locked(throttle, long_name, "198.51.100.7") is not None
    assert locked(throttle, "y" + long_name, "198.51.100.7") is None


def test_a_lock_ends_after_the_lockout():
    clock = FakeClock()
    throttle = MemoryLoginThrottle(MAX, LOCKOUT, clock=clock)
    fail(throttle, ADMIN, "198.51.100.7", MAX)
    assert locked(throttle, ADMIN, "198.51.100.7") == LOCKOUT
    clock.now += LOCKOUT - 10
    assert locked(throttle, ADMIN, "198.51.100.7") == 10
    clock.now += 10
    assert locked(throttle, ADMIN, "198.51.100.7") is None
    # Failures older than the window are forgotten: a fresh count starts.
    fail(throttle, ADMIN, "198.51.100.7", MAX - 1)
    clock.now += LOCKOUT
    fail(throttle, ADMIN, "198.51.100.7", MAX - 1)
    assert locked(throttle, ADMIN, "198.51.100.7") is None


def flood(throttle: MemoryLoginThrottle, clock: FakeClock, accounts: int, step: float = 0.0, start: int = 0) -> None:
    """One failure each for ``accounts`` new accounts from new addresses: three new keys each."""
    for n in range(start, start + accounts):
        clock.now += step
        throttle.failed(f"user{n}@example.com", f"10.0.{n // 256}.{n % 256}")


@pytest.mark.parametrize("step", [0.0, 1.0])
def test_the_memory_throttle_stays_within_its_bound(step: float):
    clock = FakeClock()
    throttle = MemoryLoginThrottle(MAX, LOCKOUT, clock=clock, max_entries=300)
    flood(throttle, clock, 5_000, step)  # three keys per failure: 15,000 keys offered
    assert len(throttle) <= 300
    # The newest locks are still there.
    fail(throttle, ADMIN, "198.51.100.7", MAX)
    assert locked(throttle, ADMIN, "198.51.100.7") is not None


def test_expired_entries_make_way_before_live_ones():
    clock = FakeClock()
    throttle = MemoryLoginThrottle(MAX, LOCKOUT, clock=clock, max_entries=1_000)
    fail(throttle, ADMIN, "198.51.100.7", MAX)
    flood(throttle, clock, 200)
    assert len(throttle) > 600
    clock.now += LOCKOUT + 1
    flood(throttle, clock, 1, start=200)
    # Everything older than the lockout went at once, not one entry per insert.
    assert len(throttle) == 3
    assert locked(throttle, ADMIN, "198.51.100.7") is None


def test_a_full_throttle_forgets_the_least_recently_failed_keys_first():
    clock = FakeClock()
    throttle = MemoryLoginThrottle(MAX, LOCKOUT, clock=clock, max_entries=30)
    fail(throttle, "old@example.com", "198.51.100.1", MAX)
    fail(throttle, "new@example.com", "198.51.100.3", MAX)
    flood(throttle, clock, 8)
    assert len(throttle) == 30
    assert locked(throttle, "old@example.com", "198.51.100.1") is not None
    flood(throttle, clock, 1, start=8)
    assert len(throttle) == 30
    assert locked(throttle, "old@example.com", "198.51.100.1") is None
    assert locked(throttle, "new@example.com", "198.51.100.3") is not None

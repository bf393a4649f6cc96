"""Login throttling: the rule, and the in-process throttle.

Failures are counted three ways, each within ``lockout_seconds`` of the first one counted:

- per (account, address) pair: ``max_failures`` lock that pair out. A right password from that
  address waits too, but nobody elsewhere can lock the account's owner out;
- per address, whatever the account: ``4 x max_failures`` lock the address out (spraying one
  password over many accounts);
- per account, whatever the address: never a lock (that would hand anyone a way to lock any
  admin out), only a short, bounded hold on failed answers once several addresses have been
  failing, which slows a guessing campaign spread over many addresses.

A success forgets the pair's failures; the address' and the account's stay.
Accounts are kept as a digest: keys stay short (a login form's username can be long) and
no email address is written to Redis.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from domain.errors import Locked


@dataclass(frozen=True, slots=True)
class ThrottleKeys:
    pair: str
    address: str
    account: str


@dataclass(frozen=True, slots=True)
class ThrottleRule:
    max_failures: int
    lockout_seconds: int
    #: the longest hold on a failed answer (seconds)
    max_delay: float = 1.0

    @property
    def address_failures(self) -> int:
        # Many people may share one address (an office, a NAT).
        return self.max_failures * 4

    @property
    def slow_after(self) -> int:
        # One address cannot get past ``max_failures`` for an account before its pair locks,
        # so the owner's own typos never slow anything down.
        return self.max_failures * 2

    def delay(self, account_failures: int) -> float:
        """How long to hold a failed answer back, given the account's recent failures."""
        over = account_failures - self.slow_after + 1
        return 0.0 if over <= 0 else min(self.max_delay, 0.1 * over)

    @staticmethod
    def keys(account: str, address: str) -> ThrottleKeys:
        digest = hashlib.blake2b(account.encode(), digest_size=16).hexdigest()
        return ThrottleKeys(pair=f"pair:{digest}:{address}", address=f"ip:{address}", account=f"acct:{digest}")

    @staticmethod
    def refusal(wait_seconds: float) -> Locked:
        wait = max(1, math.ceil(wait_seconds))
        return Locked(f"Too many login attempts. Please try again in {wait} seconds.", retry_after=wait)


class _Entry:
    __slots__ = ("count", "locked_until", "window_end")

    def __init__(self) -> None:
        self.count = 0
        self.window_end = 0.0
        self.locked_until = 0.0

    def expires_at(self) -> float:
        return max(self.window_end, self.locked_until)


class MemoryLoginThrottle:
    """One process's throttle. At most ``max_entries`` keys are kept: each new key first drops
    the entries that have expired, then, if it is still full, the least recently failed one."""

    def __init__(
        self,
        max_failures: int,
        lockout_seconds: int,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 100_000,
    ) -> None:
        self.rule = ThrottleRule(max_failures, lockout_seconds)
        self._clock = clock
        self._max_entries = max(3, max_entries)
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def close(self) -> None:
        """Nothing to release: the counts live in this process."""

    def check(self, account: str, address: str) -> None:
        keys = self.rule.keys(account, address)
        now = self._clock()
        with self._lock:
            until = max(
                (e.locked_until for k in (keys.pair, keys.address) if (e := self._entries.get(k))),
                default=0.0,
            )
        if until > now:
            raise self.rule.refusal(until - now)

    def failed(self, account: str, address: str) -> float:
        keys = self.rule.keys(account, address)
        now = self._clock()
        with self._lock:
            self._count(keys.pair, now, self.rule.max_failures)
            self._count(keys.address, now, self.rule.address_failures)
            account_failures = self._count(keys.account, now, None)
        return self.rule.delay(account_failures)

    def succeeded(self, account: str, address: str) -> None:
        with self._lock:
            self._entries.pop(self.rule.keys(account, address).pair, None)

    def _count(self, key: str, now: float, limit: int | None) -> int:
        """Count one failure under ``key``; lock the key when it reaches ``limit``."""
        entry = self._entries.get(key)
        if entry is None:
            self._make_room(now)
            entry = self._entries[key] = _Entry()
        else:
            self._entries.move_to_end(key)
        if entry.window_end <= now:
            entry.count, entry.window_end = 0, now + self.rule.lockout_seconds
        entry.count += 1
        count = entry.count
        if limit is not None and count >= limit:
            entry.locked_until = now + self.rule.lockout_seconds
            entry.count = 0
        return count

    def _make_room(self, now: float) -> None:
        # Least recently failed first: expired entries gather at the front.
        while self._entries:
            key, entry = next(iter(self._entries.items()))
            if entry.expires_at() > now and len(self._entries) < self._max_entries:
                return
            del self._entries[key]

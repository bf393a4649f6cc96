"""Redis configured but unreachable: rate limits and login throttling go on in-process (one
warning, counted), and Redis takes over again once it answers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from domain.errors import Locked
from infrastructure.rate_limit import Limit, RedisRateLimiter
from infrastructure.redis_fallback import fallbacks_total, outages_total
from infrastructure.redis_login_throttle import RedisLoginThrottle
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, REDIS_URL, free_port, require_service
from tests.integration.test_rate_limit_api import build_client

CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1
COURSES = "/api/v1/courses/org_slug/default/page/1/limit/10"
FALLBACK_LOG = "learnstream.redis_fallback"


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def warnings(self, text: str) -> list[str]:
        return [r.getMessage() for r in self.records if text in r.getMessage()]


@pytest.fixture
def fallback_log() -> Iterator[Records]:
    """Warnings of the fallback logger (held directly: the app reconfigures the root logger)."""
    logger = logging.getLogger(FALLBACK_LOG)
    handler, level = Records(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_rate_limiter_keeps_refusing_with_redis_down(fallback_log: Records):
    limiter = RedisRateLimiter(CLOSED, "x:")
    before_fallbacks = fallbacks_total().get("rate_limit", 0)
    before_outages = outages_total().get("rate_limit", 0)

    async def run() -> list[bool]:
        return [(await limiter.hit([("a", Limit(3, 3600.0))])).allowed for _ in range(5)]

    assert asyncio.run(run()) == [True, True, True, False, False]
    assert limiter.hit_sync([("a", Limit(3, 3600.0))]).allowed is False
    assert len(fallback_log.warnings("unreachable")) == 1
    assert fallbacks_total()["rate_limit"] - before_fallbacks == 6
    assert outages_total()["rate_limit"] - before_outages == 1


def test_login_throttle_keeps_locking_with_redis_down(fallback_log: Records):
    throttle = RedisLoginThrottle(CLOSED, "x:", max_failures=3, lockout_seconds=60)
    before = fallbacks_total().get("login_throttle", 0)
    for _ in range(3):
        throttle.check(ADMIN_EMAIL, "198.51.100.7")
        throttle.failed(ADMIN_EMAIL, "198.51.100.7")
    with pytest.raises(Locked) as refused:
        throttle.check(ADMIN_EMAIL, "198.51.100.7")
    throttle.check(ADMIN_EMAIL, "203.0.113.9")  # the pair is locked, not the account
    assert refused.value.retry_after > 0
    assert len(fallback_log.warnings("unreachable")) == 1
    assert fallbacks_total()["login_throttle"] - before == 8
    throttle.close()


def test_api_with_redis_down_still_limits_and_throttles(settings_env: dict[str, str], fallback_log: Records):
    _, client = build_client(
        settings_env, redis_url=CLOSED, rate_limit_read="3/3600", login_max_failures="3",
    )
    with client:
        assert [client.get(COURSES).status_code for _ in range(4)] == [200, 200, 200, 429]
        login = "/api/v1/auth/login"
        wrong = [client.post(login, data={"username": ADMIN_EMAIL, "password": "nope-nope"}).status_code for _ in range(3)]
        assert wrong == [401, 401, 401]
        locked = client.post(login, data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        assert locked.status_code == 429
        assert locked.json()["code"] == "TOO_MANY_ATTEMPTS" and int(locked.headers["Retry-After"]) > 0
    # One warning per component, not one per request.
    warned = fallback_log.warnings("unreachable")
    assert len(warned) == 2 and {w.split(":")[0] for w in warned} == {"rate_limit", "login_throttle"}


class Forwarder:
    """A TCP relay to the real Redis on a port of our own, which we can close and open:
    Redis going away and coming back, as the application sees it."""

    def __init__(self, port: int, target: tuple[str, int] = ("127.0.0.1", 6379)) -> None:
        self.port, self.target = port, target
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for sock in self._sockets:
            sock.close()
        self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def wait_for(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.redis
def test_redis_takes_over_again_once_it_answers(fallback_log: Records):
    require_service("Redis", "127.0.0.1", 6379)
    import redis

    relay = Forwarder(free_port())
    prefix = f"lstest:{uuid.uuid4().hex}:"
    url = f"redis://127.0.0.1:{relay.port}/0"
    throttle = RedisLoginThrottle(url, prefix, max_failures=3, lockout_seconds=60, retry_seconds=0.2)
    limiter = RedisRateLimiter(url, prefix + "rl:", retry_seconds=0.2)
    direct = redis.Redis.from_url(REDIS_URL)
    try:
        throttle.failed(ADMIN_EMAIL, "198.51.100.7")
        assert limiter.hit_sync([("k", Limit(5, 60.0))]).allowed
        assert direct.keys(prefix + "*") == []
        relay.open()

        def throttle_writes_to_redis() -> bool:
            throttle.failed("someone@example.com", "203.0.113.9")
            return bool(direct.keys(prefix + "login:*"))

        def limiter_writes_to_redis() -> bool:
            limiter.hit_sync([("k", Limit(1000, 60.0))])
            return bool(direct.keys(prefix + "rl:*"))

        wait_for(throttle_writes_to_redis)
        wait_for(limiter_writes_to_redis)
        assert len(fallback_log.warnings("answers again")) == 2
        # Shared decisions again: a second process' throttle sees this one's lock.
        for _ in range(3):
            throttle.failed(ADMIN_EMAIL, "192.0.2.1")
        other = RedisLoginThrottle(url, prefix, max_failures=3, lockout_seconds=60)
        with pytest.raises(Locked):
            other.check(ADMIN_EMAIL, "192.0.2.1")
        other.close()
    finally:
        relay.close()
        throttle.close()
        limiter.close()
        for key in direct.scan_iter(prefix + "*"):
            direct.delete(key)
        direct.close()

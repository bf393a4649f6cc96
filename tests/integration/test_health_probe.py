"""The health probe on PostgreSQL: concurrent probes share one connection and one ping at a
time; a database that goes away is reported at once and one that comes back is seen again."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from api.health_probe import StoreProbe
from infrastructure.settings import Settings
from tests.conftest import PG_URL, require_service
from tests.integration.test_health_degraded import TcpProxy

pytestmark = pytest.mark.postgres


def probe_through(proxy: TcpProxy, container: Any) -> StoreProbe:
    url = PG_URL.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    settings = Settings.from_env({"LEARNSTREAM_DATABASE_URL": url})
    return StoreProbe(settings, container.events, container.read_store, timeout=2.0)


@pytest.fixture
def backend() -> str:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    return "postgres"


def test_concurrent_probes_share_one_connection(container: Any) -> None:
    proxy = TcpProxy(("127.0.0.1", 5432))
    probe = probe_through(proxy, container)

    async def rounds() -> list[list[bool]]:
        try:
            first = await asyncio.gather(*(probe.healthy() for _ in range(50)))
            second = await asyncio.gather(*(probe.healthy() for _ in range(50)))
            return [list(first), list(second)]
        finally:
            await probe.close()

    try:
        answers = asyncio.run(rounds())
        connections = len(proxy.sockets) // 2  # the proxy keeps both ends of each relay
    finally:
        proxy.cut()
    assert answers == [[True] * 50, [True] * 50]
    assert connections == 1


def test_a_lost_database_is_reported_by_the_next_probe_and_a_returning_one_too(container: Any) -> None:
    proxy = TcpProxy(("127.0.0.1", 5432))
    probe = probe_through(proxy, container)

    async def story() -> list[bool]:
        try:
            seen = [await probe.healthy()]
            proxy.cut()
            seen.append(await probe.healthy())
            seen.append(await probe.healthy())  # reconnecting is refused while it is cut
            proxy.restore()
            seen.append(await probe.healthy())
            return seen
        finally:
            await probe.close()

    try:
        assert asyncio.run(story()) == [True, False, False, True]
    finally:
        proxy.cut()


class SlowProxy(TcpProxy):
    """A relay that can hold each chunk for ``delay`` seconds: a database that answers late."""

    delay = 0.0

    def _pipe(self, src: Any, dst: Any) -> None:
        try:
            while data := src.recv(65536):
                if self.delay:
                    time.sleep(self.delay)
                dst.sendall(data)
        except OSError:
            pass


def test_a_slow_round_trip_holds_up_only_the_probe_that_started_it(container: Any) -> None:
    proxy = SlowProxy(("127.0.0.1", 5432))
    probe = probe_through(proxy, container)

    async def story() -> tuple[bool, bool, bool, bool]:
        try:
            assert await probe.healthy()
            proxy.delay = 0.3  # each way: well inside the probe's 2 s timeout
            slow = asyncio.ensure_future(probe.healthy())  # starts a ping that takes a while
            await asyncio.sleep(0.05)
            meanwhile = await probe.healthy()
            return meanwhile, slow.done(), await slow, probe.last_contact is not None
        finally:
            proxy.delay = 0.0
            await probe.close()

    try:
        meanwhile, slow_was_done, slow_answer, contacted = asyncio.run(story())
    finally:
        proxy.cut()
    assert (meanwhile, slow_was_done, slow_answer, contacted) == (True, False, True, True)

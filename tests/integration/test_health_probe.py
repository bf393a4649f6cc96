"""The health probe on PostgreSQL: concurrent probes share one connection and one ping at a
time; a database that goes away is reported at once and one that comes back is seen again."""

from __future__ import annotations

import asyncio
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

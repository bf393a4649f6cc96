"""PostgreSQL: an API process without followers is told the read-model positions a worker's
commits reach, so its read-your-writes wait is woken rather than polling the tracking table;
a told position that goes astray costs a recheck of the table, not the wait's timeout."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from api.bootstrap import Container
from application.authorization import Principal
from application.catalog import CourseCreate
from projections.engine.positions import PositionBoard

pytestmark = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


@pytest.fixture
def api_process(settings: Any, container: Any) -> Iterator[Container]:
    """A second process on the same store, serving without followers (``RUN_FOLLOWERS=0``)."""
    other = Container.build(settings)
    yield other
    other.close()


def _admin(c: Container) -> Principal:
    return Principal(user_id=uuid.UUID(c.identity.user_by_email("admin@example.com")["user_uuid"]))


def _until(check: Any, timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while (value := check()) is None or value is False:
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.01)
    return value


def test_an_api_process_hears_where_the_workers_read_models_stand(container: Any, api_process: Container) -> None:
    api_process.share_positions(tell=False)
    _until(lambda: api_process.board._listening)
    view = api_process.catalog.create_course(_admin(api_process), 1, CourseCreate(
        name="Told", description="d", about="a", public=True))
    assert view.name == "Told"  # read back through the worker's catalog
    head = container.events.last_position()
    # Every read model the worker moved over the write was told, as far as the log's head.
    told = _until(lambda: api_process.board.told("catalog") if (api_process.board.told("catalog") or 0) >= head else None)
    assert told == head
    assert api_process.board.told("search") == head


def test_a_told_position_wakes_a_wait_that_the_tracking_table_would_not(settings: Any) -> None:
    from api.stores import build_stores

    stores = build_stores(settings)
    try:
        board = PositionBoard(stores.read_store)  # nothing follows "elsewhere": its table row stays away
        board.listening(True)
        threading.Timer(0.05, board.heard, args=({"elsewhere": 41},)).start()
        threading.Timer(0.1, board.heard, args=({"elsewhere": 42, "other": 3},)).start()

        async def wait() -> bool:
            return await board.wait_async(42, ["elsewhere"], timeout=10)

        assert asyncio.run(wait()) is True
        threading.Timer(0.05, board.heard, args=({"elsewhere": 50},)).start()
        assert board.wait(50, ["elsewhere"], timeout=10) is True
        assert board.told("elsewhere") == 50
        board.heard({"elsewhere": 7})  # an older word never moves it back
        assert board.told("elsewhere") == 50
        assert board.wait(51, ["elsewhere"], timeout=0.3) is False
    finally:
        stores.read_store.close()
        stores.events.close()


def test_a_lost_word_costs_a_recheck_not_the_timeout(container: Any, api_process: Container) -> None:
    # Sure to be told, but nothing tells it (no listener): the tracking table still answers.
    api_process.board.listening(True)
    admin = _admin(container)
    position = container.events.last_position() + 1  # the write below, not made yet

    def write(name: str) -> None:
        container.catalog.create_course(admin, 1, CourseCreate(name=name, description="d", about="a", public=True))

    async def wait() -> tuple[bool, float]:
        started = time.monotonic()
        threading.Timer(0.05, write, args=("Lost word",)).start()
        reached = await api_process.board.wait_async(position, ["catalog"], timeout=30)
        return reached, time.monotonic() - started

    reached, waited = asyncio.run(wait())
    assert reached is True
    assert waited < 10  # far less than the 30 s it was given
    threading.Timer(0.05, write, args=("Lost again",)).start()
    assert api_process.board.wait(position + 1, ["catalog"], timeout=30) is True

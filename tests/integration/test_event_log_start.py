"""A process starting on an existing PostgreSQL event log (a worker's health check starts one
every 30 s) neither waits for the appends in flight nor makes new ones wait behind it."""

from __future__ import annotations

import threading
from typing import Any

import psycopg
import pytest

from tests.conftest import PG_URL


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_opening_an_existing_log_takes_no_lock_on_its_events_table(settings: Any) -> None:
    from infrastructure.event_store import EventStore
    from infrastructure.settings import PostgresDsn

    EventStore(settings).close()  # the log exists
    schema = PostgresDsn.parse(settings.database_url).schema
    with psycopg.connect(PG_URL) as appending:
        # An append in flight holds its table lock until it commits.
        appending.execute(f'LOCK TABLE "{schema}".eventlog_events IN ROW EXCLUSIVE MODE')
        opened: list[Any] = []
        starting = threading.Thread(target=lambda: opened.append(EventStore(settings)), daemon=True)
        starting.start()
        starting.join(timeout=10)
        started_while_appending = not starting.is_alive()
        appending.rollback()
    starting.join(timeout=30)
    for store in opened:
        assert store.last_position() == 0
        store.close()
    assert started_while_appending, "opening the log waited for the append in flight"

"""The LangGraph savers' migrations on PostgreSQL run one process at a time: processes that
start together on a fresh schema all come up, with each migration recorded once."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from infrastructure.checkpoints import Checkpoints, setup_lock_key
from infrastructure.generation_checkpoints import open_checkpointer
from infrastructure.settings import PostgresDsn
from tests.conftest import PG_URL, drop_schema, postgres_url_with_schema, require_service

pytestmark = pytest.mark.postgres


@pytest.fixture
def schema() -> Iterator[str]:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    yield name
    drop_schema(name)


def _assessment_saver(schema: str) -> None:
    checkpoints = Checkpoints(postgres=(PostgresDsn.parse(PG_URL).conninfo(), schema), pool_size=2)
    try:
        asyncio.run(checkpoints.saver())
    finally:
        checkpoints.close()


def _generation_saver(schema: str) -> None:
    async def opened() -> None:
        async with open_checkpointer(postgres_url_with_schema(schema)):
            pass

    asyncio.run(opened())


def test_savers_started_together_on_a_fresh_schema_all_come_up(schema: str) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def run(open_saver: Any) -> None:
        start.wait()
        try:
            open_saver(schema)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(f,)) for f in (_assessment_saver, _generation_saver) * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with psycopg.connect(PG_URL) as conn:
        versions = [r[0] for r in conn.execute(f'SELECT v FROM "{schema}".checkpoint_migrations').fetchall()]
        invalid = conn.execute(
            "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND NOT i.indisvalid",
            (schema,),
        ).fetchone()
    assert versions and len(versions) == len(set(versions))
    assert invalid == (0,)


def test_setup_waits_while_another_process_runs_the_migrations(schema: str) -> None:
    with psycopg.connect(PG_URL, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(hashtext(%s))", (setup_lock_key(schema),))
        opening = threading.Thread(target=_assessment_saver, args=(schema,), daemon=True)
        opening.start()
        opening.join(timeout=1.5)
        assert opening.is_alive()  # waiting for the other process's migrations
    opening.join(timeout=60)  # the other session ended: its lock with it
    assert not opening.is_alive()

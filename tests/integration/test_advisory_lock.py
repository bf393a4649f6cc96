"""One writer per projection across processes: advisory locks on one shared session."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from infrastructure.advisory_lock import AdvisoryLockSession
from infrastructure.settings import PostgresDsn
from tests.conftest import PG_URL, require_service


@pytest.mark.postgres
def test_a_projection_lock_has_one_holder_and_is_lost_with_its_session() -> None:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    conninfo = PostgresDsn.parse(PG_URL).conninfo()
    name = f"test:{uuid.uuid4().hex}"
    first, second = AdvisoryLockSession(conninfo), AdvisoryLockSession(conninfo)
    try:
        mine, theirs = first.lock(name), second.lock(name)
        other = first.lock(name + ":other")
        assert mine.try_acquire() and mine.held()
        assert other.try_acquire()  # many locks, one session
        assert not theirs.try_acquire()

        mine.release()
        assert theirs.try_acquire()

        # The session dies (say, a network cut): its locks are gone and `held` says so.
        with psycopg.connect(conninfo, autocommit=True) as admin:
            pid = second._connection().info.backend_pid
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(psycopg.OperationalError):
            second._connection().execute("SELECT 1")
        assert not theirs.held()
        assert mine.try_acquire()
    finally:
        first.close()
        second.close()

"""First start on an empty PostgreSQL store, in the compose shape: a worker follows the log and
API replicas, started together, each found org ``default`` unless another already has.

(The embedded SQLite store has one process, which founds it alone.)
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

REPLICAS = 3


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_api_replicas_starting_together_on_an_empty_store_all_come_up_with_one_default_org(settings: Any) -> None:
    from api.bootstrap import Container

    worker = Container.build(settings)
    worker.start_followers()
    replicas = [Container.build(settings) for _ in range(REPLICAS)]
    for replica in replicas:
        replica.share_positions(tell=False)  # as ``serve`` without followers does
    start = threading.Barrier(REPLICAS)
    errors: list[BaseException] = []

    def first_start(replica: Any) -> None:
        start.wait()
        try:
            replica.bootstrap()
        except BaseException as error:  # what a replica would die of at start
            errors.append(error)

    try:
        threads = [threading.Thread(target=first_start, args=(r,)) for r in replicas]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        worker.writer.caught_up(["identity"])
        orgs = worker.read_store.fetchall(f"SELECT slug FROM {worker.projections['identity'].table('orgs')}")
        assert [row["slug"] for row in orgs] == ["default"]
        admin = worker.accounts.authenticate(ADMIN_EMAIL, ADMIN_PASSWORD, "127.0.0.1")
        assert admin.email == ADMIN_EMAIL
    finally:
        for container in (*replicas, worker):
            container.close()

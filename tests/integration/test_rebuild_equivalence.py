"""A bulk rebuild gives, row for row, what live application gave: both run each projection's
one set of handlers, the live followers batch by batch as commands arrive, the rebuild in
batches of thousands written with one statement per table."""

from __future__ import annotations

from typing import Any

import pytest

from projections.engine.rebuild import Rebuild
from tests.integration.rebuild_history import mixed_history

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def dumps(container: Any) -> dict[str, dict[str, list[dict[str, Any]]]]:
    return {name: p.dump() for name, p in container.projections.items()}


@pytest.fixture(autouse=True)
def _loopback_hooks(settings_env: dict[str, str]) -> None:
    settings_env["LEARNSTREAM_WEBHOOKS_ALLOW_PRIVATE"] = "1"


@pytest.fixture
def history(api: Any, client: Any, container: Any) -> dict[str, Any]:
    container.stop_webhook_worker()  # queued deliveries stay as the publisher wrote them
    made = mixed_history(api, client, rounds=3)
    head = container.events.last_position()
    assert container.board.wait(head, list(container.projections), timeout=60)
    container.loop.stop()  # nothing follows the log while the tables are rebuilt
    return made


def sent_and_purged(container: Any) -> None:
    """Every queued delivery went out, and the outbox's retention removed it since."""
    deliveries = container.projections["webhook_publisher"].table("deliveries")
    assert container.read_store.fetchall(f"SELECT * FROM {deliveries}")  # history queued some
    with container.read_store.transaction() as tx:
        tx.execute(f"DELETE FROM {deliveries}")


@pytest.mark.parametrize("batch_size", [7, 5_000])
def test_every_projection_rebuilt_in_bulk_has_the_live_rows(history, container, batch_size):
    sent_and_purged(container)
    live = dumps(container)
    assert live["catalog"]["courses"] and live["search"]["docs"] and live["progress"]["steps"]
    head = container.events.last_position()

    positions = Rebuild(container.events, list(container.projections.values()), batch_size=batch_size).run()

    assert positions == dict.fromkeys(container.projections, head)
    rebuilt = dumps(container)
    for name in container.projections:
        for table, rows in live[name].items():
            assert rebuilt[name][table] == rows, f"{name}.{table} differs after the rebuild"
    assert rebuilt["webhook_publisher"]["deliveries"] == []  # history is not sent again


def test_after_a_rebuild_new_events_are_published_again(history, api, container):
    sent_and_purged(container)
    Rebuild(container.events, [container.projections["webhook_publisher"]]).run()
    api.create_course(history["admin"], name="After the rebuild")
    container.catch_up()
    deliveries = container.projections["webhook_publisher"].dump()["deliveries"]
    pending = [d for d in deliveries if d["status"] == "pending"]
    assert [d["event_name"] for d in pending] == ["course_created"]
    assert "After the rebuild" in pending[0]["payload"]

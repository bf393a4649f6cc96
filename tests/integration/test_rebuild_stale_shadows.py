"""A rebuild's switch ends every rebuild of its projection: shadow tables an abandoned attempt
left behind (another tag) are dropped with the switch, and nothing else of the projection is."""

from __future__ import annotations

from typing import Any

import pytest

from projections.engine.rebuild import Rebuild
from tests.integration.test_rebuild_online import tables as table_names

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_a_switch_drops_shadow_tables_an_abandoned_rebuild_left(api: Any, client: Any, container: Any) -> None:
    admin = api.admin()
    api.create_course(admin, name="Kept through the rebuild")
    assert container.board.wait(container.events.last_position(), list(container.projections), timeout=60)
    container.loop.stop()
    catalog = container.projections["catalog"]
    live = table_names(container, "catalog_")
    stale = catalog.rebuild_clone("b0000001").table("courses")
    with container.read_store.transaction() as tx:
        tx.execute(f"CREATE TABLE {stale} (x INTEGER)")
    assert stale in table_names(container, "catalog_")

    Rebuild(container.events, [catalog], restart=True).run()

    assert table_names(container, "catalog_") == live
    names = [row["name"] for row in container.read_store.fetchall(f"SELECT name FROM {catalog.table('courses')}")]
    assert names == ["Kept through the rebuild"]

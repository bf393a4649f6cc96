"""Version bumps on a running store. A bump that keeps its tables serves the older version's
rows at once and rebuilds the new version beside them, then switches and drops them; a bump
that changes its tables is built before the process serves it (never half-built)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.bootstrap import Container
from projections.catalog import CatalogProjection
from projections.engine.rebuild_state import pending
from projections.search_index import SearchIndexProjection

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

LIST = "/api/v1/courses/org_slug/default/page/1/limit/50"


def tables(container: Any, prefix: str) -> set[str]:
    store = container.read_store
    if store.dialect == "sqlite":
        rows = store.fetchall("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ?", (f"{prefix}%",))
    else:
        rows = store.fetchall(
            "SELECT table_name AS name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_name LIKE ?", (f"{prefix}%",),
        )
    return {r["name"] for r in rows}


@pytest.fixture
def old_store(api: Any, client: Any, container: Any) -> dict[str, Any]:
    """A store the previous release (catalog v1, search v7) filled, then shut down."""
    admin = api.admin()
    for i in range(4):
        api.create_course(admin, name=f"Python course {i}")
    listed = sorted(c["name"] for c in client.get(LIST, headers=admin).json())
    container.close()
    return {"names": listed}


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Holds the rebuild (not the live followers) at its first course, until set."""
    opened = threading.Event()
    for cls, handler in ((CatalogProjection, "_created"), (SearchIndexProjection, "_course_created")):
        original = getattr(cls, handler)

        def held(self: Any, tx: Any, logged: Any, original: Any = original) -> None:
            if self.build_tag:
                opened.wait(60)
            original(self, tx, logged)

        monkeypatch.setattr(cls, handler, held)
    yield opened
    opened.set()


def new_release(monkeypatch: pytest.MonkeyPatch, settings: Any, **bumps: Any) -> Container:
    for cls, changes in bumps.values():
        for attr, value in changes.items():
            monkeypatch.setattr(cls, attr, value)
    return Container.build(settings)


def test_a_bump_that_keeps_its_tables_serves_the_old_rows_while_it_rebuilds(
    old_store, gate, monkeypatch, settings
):
    container = new_release(
        monkeypatch, settings,
        catalog=(CatalogProjection, {"version": 2}), search=(SearchIndexProjection, {"version": 8}),
    )
    try:
        container.start_followers()
        catalog = container.projections["catalog"]
        with TestClient(app=create_app(container, run_followers=False)) as client:
            from tests.conftest import Api

            api = Api(client)
            admin = api.admin()
            # Served at once, from the rows v1 built (now under v2's names)...
            assert sorted(c["name"] for c in client.get(LIST, headers=admin).json()) == old_store["names"]
            found = client.get("/api/v1/search/org_slug/default", params={"query": "python"}, headers=admin)
            assert found.status_code == 200, found.text
            assert len(found.json()["courses"]) == len(old_store["names"])
            assert pending(container.read_store, catalog) is not None  # ...while v2 is built beside them
            assert not tables(container, "catalog_v1_")
            # Writes keep being applied to what is served.
            api.create_course(admin, name="Python course during the rebuild")
            names = sorted([*old_store["names"], "Python course during the rebuild"])
            assert sorted(c["name"] for c in client.get(LIST, headers=admin).json()) == names

            gate.set()
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and (
                pending(container.read_store, catalog) or pending(container.read_store, container.projections["search"])
            ):
                time.sleep(0.1)
            assert pending(container.read_store, catalog) is None
            assert pending(container.read_store, container.projections["search"]) is None

            assert sorted(c["name"] for c in client.get(LIST, headers=admin).json()) == names
            assert tables(container, "catalog_") == {"catalog_v2_orgs", "catalog_v2_courses"}
            assert not any("__" in t for t in tables(container, "search_"))
            versions = container.read_store.fetchall(
                "SELECT name, version FROM projection_tracking WHERE name IN ('catalog', 'search')"
            )
            assert sorted((r["name"], r["version"]) for r in versions) == [("catalog", 2), ("search", 8)]
    finally:
        container.close()


def test_a_bump_that_changes_its_tables_is_built_before_it_is_served(old_store, gate, monkeypatch, settings):
    wider = dict(CatalogProjection.tables)
    wider["courses"] += ", featured INTEGER NOT NULL DEFAULT 0"
    container = new_release(monkeypatch, settings, catalog=(CatalogProjection, {"version": 2, "tables": wider}))
    try:
        building = threading.Thread(target=container.catch_up)  # what `learnstream serve` runs first
        building.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and pending(container.read_store, container.projections["catalog"]) is None:
            time.sleep(0.05)
        # Held mid-build: the new version's tables are not there to be read half-built, the
        # old version's still are.
        assert "catalog_v2_courses" not in tables(container, "catalog_v2_")
        assert "catalog_v1_courses" in tables(container, "catalog_v1_")
        gate.set()
        building.join(60)
        rows = container.read_store.fetchall("SELECT name, featured FROM catalog_v2_courses")
        assert sorted(r["name"] for r in rows) == old_store["names"]
        assert tables(container, "catalog_") == {"catalog_v2_orgs", "catalog_v2_courses"}
    finally:
        gate.set()
        container.close()


def test_a_bump_adopted_by_a_process_that_stopped_at_once_is_rebuilt_by_the_next(old_store, monkeypatch, settings):
    from projections.engine.rebuild_state import ADOPTED, settle

    stopped = new_release(monkeypatch, settings, catalog=(CatalogProjection, {"version": 2}))
    try:
        # The first process adopts the older tables, then stops before its rebuild runs.
        assert settle(stopped.projections["catalog"], stopped.events.last_position()) == ADOPTED
        assert pending(stopped.read_store, stopped.projections["catalog"]) is not None  # on record
    finally:
        stopped.close()
    container = Container.build(settings)
    try:
        container.start_followers()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and pending(container.read_store, container.projections["catalog"]):
            time.sleep(0.05)
        assert pending(container.read_store, container.projections["catalog"]) is None
        rows = container.read_store.fetchall("SELECT name FROM catalog_v2_courses")
        assert sorted(r["name"] for r in rows) == old_store["names"]
        assert not any("__" in t for t in tables(container, "catalog_"))
    finally:
        container.close()


def test_a_rebuild_scheduled_again_after_its_switch_begins_nothing(old_store, monkeypatch, settings, caplog):
    caplog.set_level(logging.INFO, logger="learnstream.rebuild")
    container = new_release(monkeypatch, settings, catalog=(CatalogProjection, {"version": 2}))
    try:
        container.start_followers()
        catalog = container.projections["catalog"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and pending(container.read_store, catalog):
            time.sleep(0.05)
        assert pending(container.read_store, catalog) is None
        assert container.loop is not None
        container.loop.rebuilds.schedule(catalog)  # what a follower begun twice would ask
        container.loop.rebuilds.join(30)
        assert pending(container.read_store, catalog) is None
        assert not any("__" in t for t in tables(container, "catalog_"))
        begun = [r for r in caplog.records if r.getMessage().startswith("rebuilding catalog v2 beside")]
        assert len(begun) == 1
    finally:
        container.close()


def test_two_processes_adopting_the_same_bump_both_come_up(old_store, monkeypatch, settings):
    """The second finds the older version already adopted by the first (it had seen it live
    a moment before): it serves the adopted tables instead of failing at start."""
    from projections.engine.rebuild_state import adopt

    first = new_release(monkeypatch, settings, catalog=(CatalogProjection, {"version": 2}))
    second = Container.build(settings)
    try:
        position = adopt(first.projections["catalog"], 1)
        assert adopt(second.projections["catalog"], 1) == position
        assert pending(second.read_store, second.projections["catalog"]) is not None  # rebuilt once, by either
        rows = second.read_store.fetchall("SELECT name FROM catalog_v2_courses")
        assert sorted(r["name"] for r in rows) == old_store["names"]
    finally:
        first.close()
        second.close()

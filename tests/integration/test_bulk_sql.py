"""Bulk statements write and update exactly the rows given, on both engines, past SQLite's
per-statement slice size."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from infrastructure.bulk_sql import SQLITE_ROWS_PER_STATEMENT, in_list, insert_rows, update_rows

ROWS = SQLITE_ROWS_PER_STATEMENT * 2 + 7  # three SQLite slices


@pytest.fixture
def store(settings: Any) -> Iterator[Any]:
    from api.bootstrap import Container

    container = Container.build(settings)
    store = container.read_store
    with store.transaction() as tx:
        tx.execute("CREATE TABLE bulk_items (item_id TEXT PRIMARY KEY, n BIGINT, label TEXT, state TEXT)")
    yield store
    container.close()


def _insert(store: Any, rows: list[tuple[Any, ...]], suffix: str = "") -> None:
    with store.transaction(pipelined=True) as tx:
        insert_rows(
            tx, store.dialect, "bulk_items", ("item_id", "n", "label", "state"),
            ("text", "bigint", "text", "text"), rows, suffix=suffix,
        )


def test_insert_rows_writes_every_row_with_its_values(store: Any) -> None:
    rows = [(f"i{k:04d}", k * 10, None if k % 3 == 0 else f"label {k}", "open") for k in range(ROWS)]
    _insert(store, rows)

    got = store.fetchall("SELECT item_id, n, label, state FROM bulk_items ORDER BY item_id")
    assert [(r["item_id"], r["n"], r["label"], r["state"]) for r in got] == rows


def test_insert_rows_honours_on_conflict_suffix(store: Any) -> None:
    _insert(store, [("a", 1, "first", "open")])
    _insert(store, [("a", 2, "second", "open"), ("b", 3, "new", "open")],
            suffix="ON CONFLICT (item_id) DO NOTHING")

    got = store.fetchall("SELECT item_id, n, label FROM bulk_items ORDER BY item_id")
    assert [(r["item_id"], r["n"], r["label"]) for r in got] == [("a", 1, "first"), ("b", 3, "new")]


def test_update_rows_sets_each_row_from_its_own_values_and_respects_where(store: Any) -> None:
    _insert(store, [(f"i{k:04d}", k, "x", "closed" if k == 5 else "open") for k in range(ROWS)])

    with store.transaction(pipelined=True) as tx:
        update_rows(
            tx, store.dialect, "bulk_items", "item_id", ("n", "label"), ("bigint", "text", "text"),
            [(k * 100, f"moved {k}", f"i{k:04d}") for k in range(ROWS)],
            where="bulk_items.state = 'open'",
        )

    got = {r["item_id"]: (r["n"], r["label"]) for r in store.fetchall("SELECT * FROM bulk_items")}
    assert got["i0005"] == (5, "x")  # excluded by the condition
    assert got["i0006"] == (600, "moved 6")
    assert got[f"i{ROWS - 1:04d}"] == ((ROWS - 1) * 100, f"moved {ROWS - 1}")
    assert sum(1 for n, label in got.values() if label.startswith("moved")) == ROWS - 1


def test_in_list_matches_only_the_given_values_even_with_quotes_and_braces(store: Any) -> None:
    odd = ['q"uote', "back\\slash", "{brace,comma}", "NULL", " spaced "]
    _insert(store, [(key, k, "x", "open") for k, key in enumerate([f"i{k}" for k in range(10)] + odd)])

    condition, params = in_list(store.dialect, "item_id", ["i2", "i7", "missing", *odd], "text")
    got = store.fetchall(f"SELECT item_id FROM bulk_items WHERE {condition}", params)

    assert sorted(r["item_id"] for r in got) == sorted(["i2", "i7", *odd])


def test_values_survive_json_transport_exactly(store: Any) -> None:
    text = 'line\nbreak, "quoted", tab\t, unicode \u00e9\u4e2d, emoji \U0001f600, {"json": [1, 2]}'
    _insert(store, [("a", 2**53 + 1, text, None)])

    row = store.fetchone("SELECT n, label, state FROM bulk_items WHERE item_id = 'a'")
    assert (row["n"], row["label"], row["state"]) == (2**53 + 1, text, None)

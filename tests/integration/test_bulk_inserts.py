"""A rebuild's inserts on SQLite go out as one ``json_each`` statement a table: the rows read
back exactly as rows inserted one by one, types included; values JSON cannot carry (bytes)
are bound row by row instead."""

from __future__ import annotations

from typing import Any

from infrastructure.read_store import SqliteReadStore
from projections.engine.batch_writes import BatchWrites
from projections.engine.table_shapes import TableShape

COLUMNS = "id INTEGER PRIMARY KEY, name TEXT, n INTEGER, x REAL, flag INTEGER, note TEXT, data BLOB"
NAMES = ("id", "name", "n", "x", "flag", "note", "data")
ODD_TEXT = ["O'Reilly", '{"a": [1, 2]}', "12", "", "naïve café ✓ 🎓", 'back\\slash "quoted"', "line\nbreak"]


class Recording:
    """The transaction, with the statements sent through it kept."""

    def __init__(self, tx: Any) -> None:
        self.tx, self.sql = tx, []

    def execute(self, sql: str, params: Any = ()) -> int:
        self.sql.append(sql)
        return int(self.tx.execute(sql, params))

    def executemany(self, sql: str, rows: Any) -> None:
        self.sql.append(sql)
        self.tx.executemany(sql, rows)


def rows(with_bytes: bool = False) -> list[dict[str, Any]]:
    made = []
    for i in range(100):
        made.append({
            "id": i, "name": ODD_TEXT[i % len(ODD_TEXT)], "n": (2**62 if i % 9 == 0 else -i),
            "x": None if i % 5 == 0 else i / 8, "flag": i % 2 == 0, "note": None if i % 3 else f"note {i}",
            "data": (b"\x00\x01" if with_bytes and i == 50 else None),
        })
    return made


def write(store: SqliteReadStore, table: str, batch: list[dict[str, Any]], copy: bool) -> list[str]:
    shapes = {table: TableShape(table, {c: "text" for c in NAMES}, ("id",))}
    with store.transaction() as tx:
        tx.execute(f"CREATE TABLE {table} ({COLUMNS})")
        recording = Recording(tx)
        writes = BatchWrites(recording, "sqlite", shapes, copy=copy)  # type: ignore[arg-type]
        for row in batch:
            writes.insert(table, row)
        writes.flush()
    return recording.sql


def read(store: SqliteReadStore, table: str) -> list[dict[str, Any]]:
    types = ", ".join(f"typeof({c}) AS t_{c}" for c in NAMES)
    return store.fetchall(f"SELECT *, {types} FROM {table} ORDER BY id")


def test_a_rebuilds_rows_read_back_as_rows_inserted_one_by_one(tmp_path):
    store = SqliteReadStore(tmp_path / "read.sqlite3")

    bulk = write(store, "bulk", rows(), copy=True)
    write(store, "plain", rows(), copy=False)

    assert [s for s in bulk if "json_each" in s], bulk  # one statement, not a row each
    assert read(store, "bulk") == read(store, "plain")
    assert [r["name"] for r in read(store, "bulk")[:2]] == ["O'Reilly", '{"a": [1, 2]}']


def test_values_json_cannot_carry_are_bound_row_by_row(tmp_path):
    store = SqliteReadStore(tmp_path / "read.sqlite3")

    bulk = write(store, "bulk", rows(with_bytes=True), copy=True)
    write(store, "plain", rows(with_bytes=True), copy=False)

    assert not [s for s in bulk if "json_each" in s]
    assert read(store, "bulk") == read(store, "plain")
    assert read(store, "bulk")[50]["data"] == b"\x00\x01"

"""SQL for batched writes: plain INSERT statements read as plans (table, columns, conflict key,
updated columns), so a handler's inserts and upserts merge into one bulk statement per table;
and the pieces of the bulk statements themselves."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from itertools import chain
from typing import Any

import msgspec

from projections.engine.table_shapes import TableShape

_INSERT = re.compile(
    r"^\s*INSERT\s+INTO\s+(\w+)\s*\(([\w\s,]+)\)\s*VALUES\s*\(([?,\s]+)\)"
    r"(?:\s*ON\s+CONFLICT\s*\(([\w\s,]+)\)\s*DO\s+(NOTHING|UPDATE\s+SET\s+(.+?)))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_SET_EXCLUDED = re.compile(r"^(\w+)\s*=\s*excluded\.(\w+)$", re.IGNORECASE)


@lru_cache(maxsize=512)
def insert_plan(sql: str) -> tuple[str, tuple[str, ...], tuple[str, ...] | None, tuple[str, ...]] | None:
    """``(table, columns, conflict key or None, columns set from excluded)`` of a plain insert."""
    found = _INSERT.match(sql)
    if found is None:
        return None
    table, columns_text, marks, conflict_text, action, sets = found.groups()
    columns = tuple(c.strip() for c in columns_text.split(","))
    if marks.count("?") != len(columns) or len(marks.replace("?", "").replace(",", "").strip()) != 0:
        return None
    if conflict_text is None:
        return table, columns, None, ()
    update: list[str] = []
    if action.upper() != "NOTHING":
        for assignment in sets.split(","):
            matched = _SET_EXCLUDED.match(assignment.strip())
            if matched is None or matched.group(1).lower() != matched.group(2).lower():
                return None
            update.append(matched.group(1))
    return table, columns, tuple(c.strip() for c in conflict_text.split(",")), tuple(update)


def conditions(where: Mapping[str, Any]) -> str:
    return " AND ".join(f"{c} = ?" for c in where)


def records(shape: TableShape, columns: Sequence[str]) -> str:
    definitions = ", ".join(f"{c} {shape.pg_type(c)}" for c in columns)
    return f"json_to_recordset(?::json) AS m({definitions})"


_encode = msgspec.json.Encoder().encode


def as_json(rows: list[dict[str, Any]]) -> str:
    return _encode(rows).decode()


#: what a JSON document carries back to SQLite unchanged (``executemany`` binds the rest)
_JSON_TYPES = frozenset((str, int, float, bool, type(None)))


def json_rows(values: Sequence[Sequence[Any]]) -> str | None:
    """SQLite: rows as one JSON array for ``json_each_insert``, or None when a value would not
    come back unchanged (text, numbers and NULL do). ``executemany`` binds each row holding
    the interpreter lock, so a writer thread took it back once a row and could not run beside
    the next batch's Python (the search index's fill: 10.5 s either way); one statement takes
    it once."""
    if not _JSON_TYPES.issuperset(map(type, chain.from_iterable(values))):
        return None
    return _encode(values).decode()


@lru_cache(maxsize=512)
def json_each_insert(table: str, columns: Sequence[str]) -> str:
    picks = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(columns)))
    return f"INSERT INTO {table} ({', '.join(columns)}) SELECT {picks} FROM json_each(?)"

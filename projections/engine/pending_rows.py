"""A batch's pending rows (``BatchWrites``): one entry per table and key, merged as they come."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from projections.engine.table_shapes import TableShape

INSERT, REPLACE, UPSERT, UPDATE, DELETE = range(5)


class Entry:
    """One pending row: what is to be done with it, and the row as it stands."""

    __slots__ = ("computed", "kind", "row", "update")

    def __init__(
        self, kind: int, row: dict[str, Any], update: set[str] | None = None,
        computed: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.kind = kind
        self.row = row
        self.update = update
        self.computed = computed


class PendingTable:
    """A table's pending rows, one entry per key (``plain``: rows of a table with no key)."""

    __slots__ = ("entries", "key", "plain", "shape")

    def __init__(self, shape: TableShape) -> None:
        self.shape = shape
        self.key = shape.key
        self.entries: dict[tuple[Any, ...], Entry] = {}
        self.plain: list[dict[str, Any]] = []  # inserts into a table without a key

    def key_of(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        key = self.key
        if len(key) == 1:
            return (row[key[0]],)
        return tuple(row[c] for c in key)

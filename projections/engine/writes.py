"""What a projection's handlers write through: a ``Tx`` with row operations, which
``BatchWrites`` buffers and writes in bulk (``batch_writes.py``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from infrastructure.read_store import Tx


class Writes(Tx, Protocol):
    def insert(self, table: str, row: Mapping[str, Any], computed: Mapping[str, str] | None = None) -> None:
        """A new row (its key must not exist yet). ``computed``: column -> SQL expression over
        the row's values (``{name}``); names the table does not have are inputs only."""
        ...

    def upsert(self, table: str, row: Mapping[str, Any], update: Iterable[str] = ()) -> None:
        """Insert the row, or when its key exists set ``update`` from it (nothing if empty)."""
        ...

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """New rows, as tuples of ``columns``, none of whose keys is pending or stored: written
        as they are (after the table's pending entries), without the per-row merge."""
        ...

    def update(self, table: str, key: Mapping[str, Any], values: Mapping[str, Any]) -> None:
        """Set ``values`` on the row with this key, if there is one."""
        ...

    def delete(self, table: str, key: Mapping[str, Any]) -> None:
        """Delete the row with this key, if there is one."""
        ...

    def update_where(self, table: str, where: Mapping[str, Any], values: Mapping[str, Any]) -> None:
        """Set ``values`` on every row whose columns equal ``where``."""
        ...

    def delete_where(self, table: str, where: Mapping[str, Any]) -> None:
        """Delete every row whose columns equal ``where``."""
        ...

"""Buffered writes: a batch's rows written with one statement per table, not one per event.

Handlers write through ``Writes`` (a ``Tx`` with row operations). ``insert``, ``upsert``,
``update`` and ``delete`` name a table and a row's key; they are kept in memory, one entry per
row, and merged as they come (an update of a row inserted earlier in the batch changes the row
to insert, a delete of it forgets it), then written at the end of the batch with one bulk
statement per table and kind: ``COPY`` or ``json_to_recordset`` on PostgreSQL,
``executemany`` on SQLite (a rebuild's inserts: one ``json_each`` statement, see
``_json_insert``). Whatever else a handler does through the plain ``Tx`` methods (a
read, a statement the buffer cannot reason about) first writes everything pending, so a
handler always sees the rows as if each write had gone out at once: buffering changes the
number of statements, never the result.

Operations on different rows commute (each entry names one table and one key), which is what
allows writing them grouped by kind. ``delete_where``/``update_where`` (rows chosen by other
columns) write that table's pending entries before their own statement.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from infrastructure.read_store import Dialect, Row, Tx
from projections.engine.pending_rows import (
    DELETE,
    INSERT,
    REPLACE,
    UPDATE,
    UPSERT,
    Entry,
    PendingTable,
)
from projections.engine.statements import (
    as_json,
    conditions,
    insert_plan,
    json_each_insert,
    json_rows,
    records,
)
from projections.engine.table_shapes import TableShape

#: at least this many rows are copied (PostgreSQL ``COPY``, SQLite ``json_each``) rather than
#: inserted, when allowed
COPY_FROM = 64


class BatchWrites:
    """A ``Writes`` over one store transaction. ``copy``: PostgreSQL may ``COPY`` inserts (not
    inside a pipeline)."""

    def __init__(self, tx: Tx, dialect: Dialect, shapes: Mapping[str, TableShape], copy: bool = False) -> None:
        self.tx = tx
        self.dialect = dialect
        self._shapes = shapes
        self._copy = copy and dialect == "postgres" and hasattr(tx, "copy_rows")
        self._json_rows = copy and dialect == "sqlite"
        self._tables: dict[str, PendingTable] = {}
        self.statements = 0  # bulk statements written (measured by benchmarks)

    # -- buffered ------------------------------------------------------------------------
    def _table(self, name: str) -> PendingTable | None:
        table = self._tables.get(name)
        if table is None:
            shape = self._shapes.get(name)
            if shape is None:
                return None
            table = self._tables[name] = PendingTable(shape)
        return table

    def insert(self, table: str, row: Mapping[str, Any], computed: Mapping[str, str] | None = None) -> None:
        t = self._table(table)
        spec = tuple(computed.items()) if computed else ()
        if t is None or not t.shape.key:
            if t is None:
                if spec:
                    raise ValueError(f"computed columns need the shape of {table}")
                self._insert_now(table, dict(row))
            elif spec:
                self._insert(t.shape, tuple(row), [dict(row)], spec)
            else:
                t.plain.append(dict(row))
            return
        key = t.key_of(row)
        entry = t.entries.get(key)
        if entry is None:
            t.entries[key] = Entry(INSERT, dict(row), computed=spec)
        elif entry.kind == DELETE:
            t.entries[key] = Entry(REPLACE, dict(row), computed=spec)
        else:  # a second insert of one key: let the database refuse it, in order
            self._flush_table(t)
            t.entries[key] = Entry(INSERT, dict(row), computed=spec)

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        self._flush_named(table)
        self.statements += 1
        names = ", ".join(columns)
        if self._copy and len(rows) >= COPY_FROM:
            self.tx.copy_rows(table, tuple(columns), rows)  # type: ignore[attr-defined]
        elif not self._json_insert(table, tuple(columns), rows):
            marks = ", ".join("?" for _ in columns)
            self.tx.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    def upsert(self, table: str, row: Mapping[str, Any], update: Iterable[str] = ()) -> None:
        t = self._table(table)
        cols = set(update)
        if t is None or not t.shape.key:
            raise ValueError(f"upsert into {table}: its key is unknown")
        key = t.key_of(row)
        entry = t.entries.get(key)
        if entry is None:
            t.entries[key] = Entry(UPSERT, dict(row), cols)
        elif entry.kind in (INSERT, REPLACE):
            entry.row.update({c: row[c] for c in cols})
        elif entry.kind == UPSERT:
            entry.row.update({c: row[c] for c in cols})
            assert entry.update is not None
            entry.update |= cols
        elif entry.kind == DELETE:
            t.entries[key] = Entry(REPLACE, dict(row))
        else:
            self._flush_table(t)
            t.entries[key] = Entry(UPSERT, dict(row), cols)

    def update(self, table: str, key: Mapping[str, Any], values: Mapping[str, Any]) -> None:
        if not values:
            return
        t = self._table(table)
        if t is None or tuple(key) != t.shape.key:
            self.update_where(table, key, values)
            return
        k = tuple(key.values())
        entry = t.entries.get(k)
        if entry is None:
            t.entries[k] = Entry(UPDATE, dict(values))
        elif entry.kind == DELETE:
            return
        else:
            entry.row.update(values)
            if entry.kind == UPSERT:
                assert entry.update is not None
                entry.update |= set(values)

    def delete(self, table: str, key: Mapping[str, Any]) -> None:
        t = self._table(table)
        if t is None or tuple(key) != t.shape.key:
            self.delete_where(table, key)
            return
        k = tuple(key.values())
        entry = t.entries.get(k)
        if entry is not None and entry.kind == INSERT:
            del t.entries[k]  # it never reached the table
        else:
            t.entries[k] = Entry(DELETE, dict(key))

    def update_where(self, table: str, where: Mapping[str, Any], values: Mapping[str, Any]) -> None:
        if not values:
            return
        self._flush_named(table)
        assigns = ", ".join(f"{c} = ?" for c in values)
        self.tx.execute(
            f"UPDATE {table} SET {assigns} WHERE {conditions(where)}", (*values.values(), *where.values())
        )

    def delete_where(self, table: str, where: Mapping[str, Any]) -> None:
        self._flush_named(table)
        self.tx.execute(f"DELETE FROM {table} WHERE {conditions(where)}", tuple(where.values()))

    # -- plain Tx: everything pending is written first ------------------------------------
    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        if self._buffered(sql, (params,)):
            return -1  # as in a pipelined transaction: not counted
        self.flush()
        return self.tx.execute(sql, params)

    def execute_counted(self, sql: str, params: Sequence[Any] = ()) -> int:
        self.flush()
        return self.tx.execute_counted(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if self._buffered(sql, rows):
            return
        self.flush()
        self.tx.executemany(sql, rows)

    def _buffered(self, sql: str, rows: Sequence[Sequence[Any]]) -> bool:
        """A plain ``INSERT ... VALUES (?, ...)`` into a known table (optionally ``ON CONFLICT
        (key) DO NOTHING`` or ``DO UPDATE SET c = excluded.c``) joins the buffer like
        ``insert``/``upsert``: handlers written against a plain ``Tx`` get bulk writes too."""
        plan = insert_plan(sql)
        if plan is None:
            return False
        table, columns, conflict, update = plan
        t = self._table(table)
        if t is None or (conflict is not None and set(conflict) != set(t.shape.key)):
            return False
        for values in rows:
            if len(values) != len(columns):
                return False
        for values in rows:
            row = dict(zip(columns, values, strict=True))
            if conflict is None:
                self.insert(table, row)
            else:
                self.upsert(table, row, update)
        return True

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self.flush()
        return self.tx.fetchall(sql, params)

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        self.flush()
        return self.tx.fetchone(sql, params)

    # -- writing --------------------------------------------------------------------------
    def flush(self) -> None:
        for t in self._tables.values():
            if t.entries or t.plain:
                self._flush_table(t)

    def _flush_named(self, table: str) -> None:
        t = self._tables.get(table)
        if t is not None and (t.entries or t.plain):
            self._flush_table(t)

    def _flush_table(self, t: PendingTable) -> None:
        entries, plain = t.entries, t.plain
        t.entries, t.plain = {}, []
        gone = [e.row if e.kind == DELETE else {c: e.row[c] for c in t.shape.key}
                for e in entries.values() if e.kind in (DELETE, REPLACE)]
        if gone:
            self._delete(t.shape, gone)
        fresh: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for e in entries.values():
            if e.kind in (INSERT, REPLACE):
                fresh.setdefault((tuple(e.row), e.computed), []).append(e.row)
        for row in plain:
            fresh.setdefault((tuple(row), ()), []).append(row)
        for (columns, spec), rows in fresh.items():
            self._insert(t.shape, columns, rows, spec)
        upserts: dict[tuple[tuple[str, ...], tuple[str, ...]], list[dict[str, Any]]] = {}
        updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for key, e in entries.items():
            if e.kind == UPSERT:
                assert e.update is not None
                upserts.setdefault((tuple(e.row), tuple(sorted(e.update))), []).append(e.row)
            elif e.kind == UPDATE:
                row = dict(e.row)
                row.update(zip(t.shape.key, key, strict=True))
                updates.setdefault(tuple(e.row), []).append(row)
        for (columns, update), rows in upserts.items():
            self._upsert(t.shape, columns, update, rows)
        for columns, rows in updates.items():
            self._update(t.shape, columns, rows)

    def _json_insert(self, table: str, columns: Sequence[str], values: Sequence[Sequence[Any]]) -> bool:
        """SQLite, in a rebuild: the rows in one ``json_each`` statement; False if not done."""
        if not self._json_rows or len(values) < COPY_FROM:
            return False
        document = json_rows(values)
        if document is None:
            return False
        self.tx.execute(json_each_insert(table, columns), (document,))
        return True

    def _insert_now(self, table: str, row: dict[str, Any]) -> None:
        names = ", ".join(row)
        self.tx.execute(
            f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in row)})", tuple(row.values())
        )

    def _insert(
        self, shape: TableShape, columns: tuple[str, ...], rows: list[dict[str, Any]],
        computed: tuple[tuple[str, str], ...] = (),
    ) -> None:
        if computed:
            self._insert_computed(shape, columns, rows, computed)
            return
        self.statements += 1
        names = ", ".join(columns)
        if self.dialect == "sqlite" or len(rows) == 1:
            values = [tuple(r.values()) for r in rows]
            if self._json_insert(shape.name, columns, values):
                return
            marks = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {shape.name} ({names}) VALUES ({marks})"
            if len(rows) == 1:
                self.tx.execute(sql, values[0])
            else:
                self.tx.executemany(sql, values)
        elif self._copy and len(rows) >= COPY_FROM:
            self.tx.copy_rows(shape.name, columns, [tuple(r.values()) for r in rows])  # type: ignore[attr-defined]
        else:
            self.tx.execute(
                f"INSERT INTO {shape.name} ({names}) SELECT {names} FROM {records(shape, columns)}",
                (as_json(rows),),
            )

    def _insert_computed(
        self, shape: TableShape, columns: tuple[str, ...], rows: list[dict[str, Any]],
        computed: tuple[tuple[str, str], ...],
    ) -> None:
        self.statements += 1
        stored = [c for c in columns if c in shape.columns]
        names = ", ".join([*stored, *(c for c, _ in computed)])
        if self.dialect == "postgres":
            exprs = [expr.format(**{c: f"m.{c}" for c in columns}) for _, expr in computed]
            self.tx.execute(
                f"INSERT INTO {shape.name} ({names}) SELECT {', '.join([*(f'm.{c}' for c in stored), *exprs])}"
                f" FROM {records(shape, columns)}",
                (as_json(rows),),
            )
            return
        order: list[str] = list(stored)
        exprs = []
        for _, expr in computed:
            used = _PLACEHOLDER.findall(expr)
            order.extend(used)
            exprs.append(_PLACEHOLDER.sub("?", expr))
        sql = f"INSERT INTO {shape.name} ({names}) VALUES ({', '.join(['?'] * len(stored) + exprs)})"
        self.tx.executemany(sql, [tuple(r[c] for c in order) for r in rows])

    def _upsert(
        self, shape: TableShape, columns: tuple[str, ...], update: tuple[str, ...], rows: list[dict[str, Any]]
    ) -> None:
        self.statements += 1
        names = ", ".join(columns)
        conflict = f"ON CONFLICT ({', '.join(shape.key)}) DO " + (
            "UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in update) if update else "NOTHING"
        )
        if self.dialect == "sqlite" or len(rows) == 1:
            marks = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {shape.name} ({names}) VALUES ({marks}) {conflict}"
            if len(rows) == 1:
                self.tx.execute(sql, tuple(rows[0].values()))
            else:
                self.tx.executemany(sql, [tuple(r.values()) for r in rows])
            return
        self.tx.execute(
            f"INSERT INTO {shape.name} ({names}) SELECT {names} FROM {records(shape, columns)} {conflict}",
            (as_json(rows),),
        )

    def _update(self, shape: TableShape, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
        self.statements += 1
        key = shape.key
        if self.dialect == "sqlite" or len(rows) == 1:
            sql = (
                f"UPDATE {shape.name} SET {', '.join(f'{c} = ?' for c in columns)}"
                f" WHERE {' AND '.join(f'{k} = ?' for k in key)}"
            )
            order = (*columns, *key)
            if len(rows) == 1:
                self.tx.execute(sql, tuple(rows[0][c] for c in order))
            else:
                self.tx.executemany(sql, [tuple(r[c] for c in order) for r in rows])
            return
        sets = ", ".join(f"{c} = m.{c}" for c in columns)
        match = " AND ".join(f"{shape.name}.{k} = m.{k}" for k in key)
        self.tx.execute(
            f"UPDATE {shape.name} SET {sets} FROM {records(shape, (*columns, *key))} WHERE {match}",
            (as_json(rows),),
        )

    def _delete(self, shape: TableShape, keys: list[dict[str, Any]]) -> None:
        self.statements += 1
        key = shape.key
        if self.dialect == "sqlite" or len(keys) == 1:
            sql = f"DELETE FROM {shape.name} WHERE {' AND '.join(f'{k} = ?' for k in key)}"
            if len(keys) == 1:
                self.tx.execute(sql, tuple(keys[0][k] for k in key))
            else:
                self.tx.executemany(sql, [tuple(r[k] for k in key) for r in keys])
            return
        match = " AND ".join(f"{shape.name}.{k} = m.{k}" for k in key)
        self.tx.execute(f"DELETE FROM {shape.name} USING {records(shape, key)} WHERE {match}", (as_json(keys),))


_PLACEHOLDER = re.compile(r"\{(\w+)\}")

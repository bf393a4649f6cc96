"""What the engine knows of a projection's tables, read from the DDL the projection declares.

Buffered writes (``projections.engine.batch_writes``) need each table's key (to merge an update
into the row a batch inserted a moment earlier) and, on PostgreSQL, its column types (rows
travel as one JSON text into ``json_to_recordset``). Both come from the projection's own
``CREATE TABLE`` text, so a projection declares its tables once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_CREATE = re.compile(
    r"^\s*CREATE\s+(?:UNLOGGED\s+)?(?P<virtual>VIRTUAL\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    r"(?P<name>[\w\"]+)\s*(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_INDEX = re.compile(r"^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\b", re.IGNORECASE)
#: words that end a column's type in its definition
_CONSTRAINT_WORDS = frozenset(
    {"NOT", "NULL", "PRIMARY", "UNIQUE", "DEFAULT", "REFERENCES", "CHECK", "COLLATE", "GENERATED"}
)
_TABLE_CONSTRAINTS = ("PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "CONSTRAINT", "EXCLUDE")


@dataclass
class TableShape:
    """A table's columns with their (PostgreSQL) types, and the key rows are addressed by."""

    name: str
    columns: dict[str, str] = field(default_factory=dict)
    key: tuple[str, ...] = ()
    #: an FTS5 table: its key is the implicit ``rowid`` and its columns have no types
    virtual: bool = False

    def pg_type(self, column: str) -> str:
        return self.columns.get(column, "text")


def split_top_level(text: str) -> list[str]:
    """``a, b (c, d), e`` -> ``["a", "b (c, d)", "e"]``."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def _column_list(inside: str) -> list[str]:
    return [c.strip().strip('"') for c in inside.split(",") if c.strip()]


def parse_columns(name: str, definitions: str) -> TableShape:
    """A shape from a column-definition list (``a TEXT PRIMARY KEY, b BIGINT NOT NULL``)."""
    shape = TableShape(name)
    for item in split_top_level(definitions):
        words = item.split()
        head = words[0].upper()
        if head in _TABLE_CONSTRAINTS:
            if head == "PRIMARY" and "(" in item:
                shape.key = tuple(_column_list(item[item.index("(") + 1 : item.rindex(")")]))
            continue
        column = words[0].strip('"')
        type_words = []
        for word in words[1:]:
            if word.upper() in _CONSTRAINT_WORDS:
                break
            type_words.append(word)
        shape.columns[column] = " ".join(type_words).lower() or "text"
        upper = item.upper()
        if "PRIMARY KEY" in upper and not shape.key:
            shape.key = (column,)
    return shape


def parse_create(statement: str) -> TableShape | None:
    """The shape of the table a ``CREATE [VIRTUAL] TABLE`` statement makes (None otherwise)."""
    found = _CREATE.match(statement)
    if found is None:
        return None
    name, rest = found["name"].strip('"'), found["rest"].strip()
    if found["virtual"]:
        inside = rest[rest.index("(") + 1 : rest.rindex(")")]
        columns = [c for c in split_top_level(inside) if "=" not in c]
        return TableShape(name, {c.strip(): "text" for c in columns}, ("rowid",), virtual=True)
    if not rest.startswith("("):
        return None
    return parse_columns(name, rest[1 : rest.rindex(")")])


def is_index(statement: str) -> bool:
    return bool(_INDEX.match(statement))


def created_tables(statements: Iterable[str]) -> list[str]:
    """The names of the tables these DDL statements create, in order."""
    return [s.name for s in (parse_create(d) for d in statements) if s is not None]

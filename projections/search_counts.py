"""PostgreSQL: how many docs each word prefix finds, per visibility class, kept by the search
projection so a one-term search has true totals without counting its matches.

PostgreSQL cannot count index matches without visiting each match's heap row (MVCC): at
200,000 activities, a 4-letter prefix that 45,000 of them hold costs 30-40 ms to count even
from the narrow ``match`` table. Here the same total is a primary-key lookup of a few rows.

A row counts the docs of one (org, kind, visibility flags, course author) holding a word that
starts with ``token``; ``field`` is ``a`` (anywhere) or ``t`` (in the title, activities only,
for their title-first tier). A doc adds one to every distinct prefix of its words, up to
``MAX_COUNTED`` letters; a longer query term (or several terms) is counted from ``match``.
Changes over a batch are summed in memory and written in one statement before it commits.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import msgspec

from infrastructure.read_store import Tx
from projections.engine.memo import MadeOnce

MAX_COUNTED = 20
NO_AUTHOR = "00000000-0000-0000-0000-000000000000"
FLAGS = ("course_public", "course_published", "published", "public")
KEY = ("org_uuid", "kind", "token", "field", "author_uuid", *FLAGS)
#: a flush's JSON record: one counted class and field, its tokens and their changes
RECORD_COLUMNS = (
    "org_uuid uuid, kind text, field text, author_uuid uuid, course_public smallint,"
    " course_published smallint, published smallint, public smallint, tokens text[], ns integer[]"
)
_LEXEME = re.compile(r"'((?:[^']|'')*)'")


def vector_words(text: str) -> list[str]:
    """The words of a ``match`` vector (its ``::text`` form), without the prefix tokens."""
    words = (m.group(1).replace("''", "'").replace("\\\\", "\\") for m in _LEXEME.finditer(text))
    return [w for w in words if not w.startswith("_")]


def word_prefixes(word: str) -> tuple[str, ...]:
    """The prefixes of ``word`` a doc holding it is counted under."""
    return tuple(word[:end] for end in range(1, min(len(word), MAX_COUNTED) + 1))


class PrefixCounts:
    def __init__(self, table: str) -> None:
        self.table = table
        # Per counted class (org, kind, author, flags) and field: prefix -> change. Summing
        # per class keeps the per-doc work to one C-level ``Counter.update`` per field.
        self._pending: dict[tuple[Any, ...], tuple[Counter[str], Counter[str]]] = {}
        self._word_prefixes = MadeOnce(word_prefixes)

    def _prefixes(self, words: list[str]) -> set[str]:
        """Every prefix of these words, once."""
        return set().union(*map(self._word_prefixes.__getitem__, words))

    def ddl(self) -> str:
        return (
            f'CREATE TABLE IF NOT EXISTS {self.table} (org_uuid UUID NOT NULL, kind TEXT NOT NULL,'
            ' token TEXT COLLATE "C" NOT NULL, field TEXT NOT NULL, author_uuid UUID NOT NULL,'
            " course_public SMALLINT NOT NULL, course_published SMALLINT NOT NULL,"
            " published SMALLINT NOT NULL, public SMALLINT NOT NULL, n INTEGER NOT NULL,"
            f" PRIMARY KEY ({', '.join(KEY)}))"
        )

    def add(self, doc: dict[str, Any], words: list[str], title_words: list[str], sign: int) -> None:
        """Count ``doc`` (its kind, org, author and flags) in (+1) or out (-1)."""
        group = (
            str(doc["org_uuid"]), doc["kind"], str(doc.get("author_uuid") or NO_AUTHOR),
            int(doc["course_public"]), int(doc["course_published"]), int(doc["published"]), int(doc["public"]),
        )
        counters = self._pending.get(group)
        if counters is None:
            counters = self._pending[group] = (Counter(), Counter())
        anywhere, titles = counters
        if sign > 0:
            anywhere.update(self._prefixes(words))
            if doc["kind"] == "activity":
                titles.update(self._prefixes(title_words))
        else:
            anywhere.subtract(self._prefixes(words))
            if doc["kind"] == "activity":
                titles.subtract(self._prefixes(title_words))

    def forget_org(self, tx: Tx, org_uuid: str) -> None:
        self._pending = {k: c for k, c in self._pending.items() if k[0] != org_uuid}
        tx.execute(f"DELETE FROM {self.table} WHERE org_uuid = CAST(? AS uuid)", (org_uuid,))

    def flush(self, tx: Tx) -> None:
        # One JSON record per class and field, its tokens and their changes as two arrays the
        # server unnests: a record per token, built in Python, cost a tenth of the live
        # follower's CPU on a bulk load (a course tree changes thousands of prefix counts).
        records: list[dict[str, Any]] = []
        for (org, kind, author, *flags), (anywhere, titles) in self._pending.items():
            for field, counter in (("a", anywhere), ("t", titles)):
                # A token counted in and out again has nothing to write.
                changed = {t: n for t, n in counter.items() if n} if 0 in counter.values() else counter
                if changed:
                    records.append({
                        "org_uuid": org, "kind": kind, "field": field, "author_uuid": author,
                        **dict(zip(FLAGS, flags, strict=True)), "tokens": list(changed), "ns": list(changed.values()),
                    })
        self._pending.clear()
        if not records:
            return
        # Rows written in key order, a stable lock order should two writers ever meet. The
        # server sorts them: sorting a rebuild batch's 50,000 changes in Python took 25 ms a
        # batch, a fifth of the search index's rebuild.
        key = ", ".join(KEY)
        tx.execute(
            f"INSERT INTO {self.table} ({key}, n)"
            f" SELECT m.org_uuid, m.kind, t.token, m.field, m.author_uuid, {', '.join('m.' + f for f in FLAGS)}, t.n"
            f" FROM json_to_recordset(?::json) AS m({RECORD_COLUMNS}),"
            " unnest(m.tokens, m.ns) AS t(token, n)"
            f" ORDER BY m.org_uuid, m.kind, t.token COLLATE \"C\", m.field, m.author_uuid, {', '.join('m.' + f for f in FLAGS)}"
            f" ON CONFLICT ({key}) DO UPDATE SET n = {self.table}.n + EXCLUDED.n",
            (msgspec.json.encode(records).decode(),),
        )

    def clear(self) -> None:
        self._pending.clear()

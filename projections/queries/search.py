"""Ranked, visibility-filtered queries over the search index (FTS5 or the ``match`` table).

Matching, the caller's visibility and the counts are answered by the index alone; the wide doc
rows are read only for the rows of the page returned (see ``projections/search_index.py``). On
PostgreSQL a one-term total is read from the prefix counts (``projections/search_counts.py``).
"""

from __future__ import annotations

import functools
from typing import Any

import msgspec

from infrastructure.read_store import Row
from projections.engine.read_cache import ReadCache
from projections.search_counts import MAX_COUNTED
from projections.search_index import (
    KINDS,
    PREFIX_TOKEN,
    SearchIndexProjection,
    hex_id,
    lexeme,
    normalise,
    split_words,
)

MAX_TERMS = 8
#: PostgreSQL: a query prefix expands to at most this many words of ``vocab``
MAX_EXPANSION = 1000
INDEX = ("search",)
COLUMNS = "t.doc_id, t.kind, t.uuid, t.course_uuid, t.title"


class SearchScope(msgspec.Struct, frozen=True):
    """What of one org the caller may find (mirrors the catalog's course visibility)."""

    org_uuid: str
    everything: bool = False
    member: bool = False
    author_uuid: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        """PostgreSQL: the filter over the ``match`` row ``d``."""
        if self.everything:
            return "d.org_uuid = CAST(? AS uuid)", [self.org_uuid]
        course = ["(d.course_published = 1 AND d.course_public = 1)"]
        params: list[Any] = [self.org_uuid]
        if self.member:
            course.append("d.course_published = 1")
        mine = ""
        if self.author_uuid:
            course.append("d.author_uuid = CAST(? AS uuid)")
            params.append(self.author_uuid)
            mine = " OR d.author_uuid = CAST(? AS uuid)"
        collection = "d.public = 1" + (" OR 1 = 1" if self.member else "")
        clause = (
            f"d.org_uuid = CAST(? AS uuid) AND ((d.kind <> 'collection' AND ({' OR '.join(course)})"
            f" AND (d.published = 1{mine})) OR (d.kind = 'collection' AND ({collection})))"
        )
        if self.author_uuid:
            params.append(self.author_uuid)
        return clause, params

    def fts(self, kind: str) -> str:
        """SQLite: the same filter as a MATCH over the ``vis`` tokens of ``kind``'s FTS5 table."""
        org = "o" + hex_id(self.org_uuid)
        if self.everything:
            return org
        if kind == "collection":
            return org if self.member else f"{org} AND vpublic"
        mine = ["a" + hex_id(self.author_uuid)] if self.author_uuid else []
        course = ["vopen", *(["vcpub"] if self.member else []), *mine]
        return f"{org} AND ({' OR '.join(course)}) AND ({' OR '.join(['vpub', *mine])})"


def terms_of(query: str) -> list[str]:
    """The query's words, less any that another one starts with: every term is a prefix, so a
    doc holding ``python`` matches ``pyt`` too, and "pyth pyt" is the one-term query "pyth"."""
    words = list(dict.fromkeys(split_words(normalise(query))))[:MAX_TERMS]
    return [w for w in words if not any(o != w and o.startswith(w) for o in words)]


class SearchQueries:
    def __init__(self, projection: SearchIndexProjection, cache: ReadCache | None = None) -> None:
        self._p = projection
        self._db = projection.store
        # Results are kept while the index does not change: a catalog that is read far more
        # than it is written answers a repeated query (and its totals) from memory.
        self._cache = cache or ReadCache(None)
        self.docs = projection.table("docs")
        self.match = projection.table("match")
        self.vocab = projection.table("vocab")
        self.counts = projection.table("counts")

    # -- public -------------------------------------------------------------------------
    def search(self, scope: SearchScope, query: str, kinds: tuple[str, ...], page: int, limit: int) -> dict[str, list[Row]]:
        terms = terms_of(query)
        out = {}
        for kind in kinds:
            key = ("search", kind, scope, tuple(terms), page, limit)
            load = functools.partial(self._page, terms, kind, scope, page, limit)
            out[kind] = [dict(r) for r in self._cache.get(key, INDEX, load)] if terms else []
        return out

    def totals(self, scope: SearchScope, query: str) -> dict[str, int]:
        terms = terms_of(query)
        counts = dict.fromkeys(KINDS, 0)
        if terms:
            for kind in KINDS:
                counts[kind] = self._counts(terms, kind, scope)[0]
        return counts

    def rows_by_uuid(self, table: str, column: str, uuids: list[str]) -> list[Row]:
        """Rows of another read model (e.g. the catalog) in the given order, in one query."""
        if not uuids:
            return []
        marks = ", ".join("?" for _ in uuids)
        found = {r[column]: r for r in self._db.fetchall(f"SELECT * FROM {table} WHERE {column} IN ({marks})", tuple(uuids))}
        return [found[u] for u in uuids if u in found]

    # -- matching -----------------------------------------------------------------------
    def _tsquery(self, terms: list[str]) -> str | None:
        """PostgreSQL: the terms as exact lexemes of the ``match`` vectors (``word_vector``), or
        None when a term starts no indexed word (then nothing matches)."""
        return self._cache.get(("tsquery", tuple(terms)), INDEX, functools.partial(self._expand, terms))

    def _expand(self, terms: list[str]) -> str | None:
        parts = []
        for term in terms:
            if len(term) == PREFIX_TOKEN:
                parts.append(lexeme("_" + term))
                continue
            span = (term, term + "\U0010ffff", MAX_EXPANSION + 1)  # the words that start with term
            if len(term) > PREFIX_TOKEN:
                sql = f"SELECT word AS token FROM {self.vocab} WHERE word >= ? AND word < ? LIMIT ?"
            else:
                sql = (
                    f"SELECT DISTINCT '_' || left(word, {PREFIX_TOKEN}) AS token FROM {self.vocab}"
                    " WHERE word >= ? AND word < ? LIMIT ?"
                )
            tokens = [r["token"] for r in self._db.fetchall(sql, span)]
            if not tokens:
                return None
            if len(tokens) > MAX_EXPANSION:
                # Too many words to list (a long OR also exhausts the parser's stack): GIN's
                # partial match instead, still exact, as the marked tokens start with "_".
                parts.append(lexeme(term) + ":*")
            else:
                parts.append("(" + " | ".join(lexeme(t) for t in tokens) + ")")
        return " & ".join(parts)

    def _fts_match(self, terms: list[str], kind: str, scope: SearchScope, columns: str = "title body") -> str:
        text = " ".join(f'"{t}"*' for t in terms)
        return f"({{{columns}}}: ({text})) AND ({{vis}}: ({scope.fts(kind)}))"

    def _counts(self, terms: list[str], kind: str, scope: SearchScope) -> tuple[int, int]:
        """(matches, of them with every term in the title), cached like pages."""
        key = ("counts", kind, scope, tuple(terms))
        return self._cache.get(key, INDEX, functools.partial(self._count, terms, kind, scope))

    def _count(self, terms: list[str], kind: str, scope: SearchScope) -> tuple[int, int]:
        if self._p.dialect == "postgres" and len(terms) == 1 and len(terms[0]) <= MAX_COUNTED:
            where, params = scope.where()
            row = self._db.fetchone(
                "SELECT coalesce(sum(d.n) FILTER (WHERE d.field = 'a'), 0) AS n,"
                " coalesce(sum(d.n) FILTER (WHERE d.field = 't'), 0) AS title"
                f" FROM {self.counts} d WHERE d.kind = '{kind}' AND d.token = ? AND {where}",
                (terms[0], *params),
            )
            return (int(row["n"]), int(row["title"])) if row else (0, 0)
        return self._scan(terms, kind, scope)

    def recount(self, scope: SearchScope, query: str) -> dict[str, tuple[int, int]]:
        """(matches, title matches) per kind counted from the index itself, never from the
        prefix counts and never cached: what those counts must agree with."""
        terms = terms_of(query)
        return {kind: self._scan(terms, kind, scope) if terms else (0, 0) for kind in KINDS}

    def _scan(self, terms: list[str], kind: str, scope: SearchScope) -> tuple[int, int]:
        if self._p.dialect == "postgres":
            where, params = scope.where()
            tsquery = self._tsquery(terms)
            if tsquery is None:
                return 0, 0
            in_title = "count(*) FILTER (WHERE d.title_words @@ CAST(? AS tsquery))" if kind == "activity" else "0"
            row = self._db.fetchone(
                f"SELECT count(*) AS n, {in_title} AS title FROM {self.match} d"
                f" WHERE d.kind = '{kind}' AND d.words @@ CAST(? AS tsquery) AND {where}",
                (*([tsquery] if kind == "activity" else []), tsquery, *params),
            )
            return (int(row["n"]), int(row["title"])) if row else (0, 0)
        fts = self._p.fts(kind)

        def count(match: str) -> int:
            row = self._db.fetchone(f"SELECT count(*) AS n FROM {fts} WHERE {fts} MATCH ?", (match,))
            return int(row["n"]) if row else 0

        total = count(self._fts_match(terms, kind, scope))
        return total, count(self._fts_match(terms, kind, scope, "title")) if kind == "activity" and total else 0

    # -- pages --------------------------------------------------------------------------
    def _page(self, terms: list[str], kind: str, scope: SearchScope, page: int, limit: int) -> list[Row]:
        assert kind in KINDS  # inlined in SQL, so PostgreSQL can pick the kind's partial index
        if kind == "activity":
            return self._tiered(terms, scope, page, limit)
        offset = (page - 1) * limit
        if self._p.dialect == "postgres":
            tsquery = self._tsquery(terms)
            if tsquery is None:
                return []
            where, params = scope.where()
            # Ranked on the weighted text (title above body), for the matched rows only.
            return self._db.fetchall(
                f"SELECT {COLUMNS} FROM (SELECT d.doc_id, ts_rank(d.tsv, to_tsquery('simple', ?)) AS score"
                f" FROM {self.match} d WHERE d.kind = '{kind}' AND d.words @@ CAST(? AS tsquery) AND {where}"
                " ORDER BY score DESC, d.doc_id DESC LIMIT ? OFFSET ?) p"
                f" JOIN {self.docs} t ON t.doc_id = p.doc_id ORDER BY p.score DESC, p.doc_id DESC",
                (" & ".join(f"{t}:*" for t in terms), tsquery, *params, limit, offset),
            )
        fts = self._p.fts(kind)
        return self._db.fetchall(
            f"SELECT {COLUMNS} FROM (SELECT rowid AS id, bm25({fts}, 10.0, 1.0, 0.0) AS score FROM {fts}"
            f" WHERE {fts} MATCH ? ORDER BY score, rowid DESC LIMIT ? OFFSET ?) p"
            f" CROSS JOIN {self.docs} t ON t.doc_id = p.id ORDER BY p.score, p.id DESC",
            (self._fts_match(terms, kind, scope), limit, offset),
        )

    def _tiered(self, terms: list[str], scope: SearchScope, page: int, limit: int) -> list[Row]:
        """Activities (the large corpus): those with every term in the title first, then the
        rest; newest first within each tier. Ranking every match by relevance cost 25-50 ms
        per query at 200,000 activities; both tiers here stream in id order from the index."""
        total, title_hits = self._counts(terms, "activity", scope)
        offset = (page - 1) * limit
        rows: list[Row] = []
        if offset < title_hits:
            rows = self._tier(terms, scope, True, limit, offset)
        if len(rows) < limit and offset + len(rows) < total:
            rows += self._tier(terms, scope, False, limit - len(rows), max(0, offset - title_hits))
        return rows

    def _tier(self, terms: list[str], scope: SearchScope, in_title: bool, limit: int, offset: int) -> list[Row]:
        if self._p.dialect == "postgres":
            tsquery = self._tsquery(terms)
            if tsquery is None:
                return []
            where, params = scope.where()
            title = "d.title_words @@ CAST(? AS tsquery)"
            match = title if in_title else f"d.words @@ CAST(? AS tsquery) AND NOT {title}"
            ids = (
                f"SELECT d.doc_id FROM {self.match} d WHERE d.kind = 'activity' AND {match} AND {where}"
                " ORDER BY d.doc_id DESC LIMIT ? OFFSET ?"
            )
            args: tuple[Any, ...] = ((tsquery,) if in_title else (tsquery, tsquery)) + (*params, limit, offset)
        else:
            fts = self._p.fts("activity")
            everywhere, titles = (self._fts_match(terms, "activity", scope, c) for c in ("title body", "title"))
            ids = f"SELECT rowid AS doc_id FROM {fts} WHERE {fts} MATCH ? ORDER BY rowid DESC LIMIT ? OFFSET ?"
            args = (titles if in_title else f"({everywhere}) NOT ({titles})", limit, offset)
        return self._db.fetchall(
            f"SELECT {COLUMNS} FROM ({ids}) p JOIN {self.docs} t ON t.doc_id = p.doc_id ORDER BY t.doc_id DESC",
            args,
        )

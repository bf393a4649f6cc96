"""Ranked, visibility-filtered queries over the search index (FTS5 or tsvector)."""

from __future__ import annotations

import functools
from typing import Any

import msgspec

from infrastructure.read_store import Row
from projections.read_cache import ReadCache
from projections.search_index import KINDS, PREFIX_MAX, WORD, SearchIndexProjection, normalise

MAX_TERMS = 8
INDEX = ("search",)


class SearchScope(msgspec.Struct, frozen=True):
    """What of one org the caller may find (mirrors the catalog's course visibility)."""

    org_uuid: str
    everything: bool = False
    member: bool = False
    author_uuid: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        if self.everything:
            return "d.org_uuid = ?", [self.org_uuid]
        course = ["(d.course_published = 1 AND d.course_public = 1)"]
        params: list[Any] = [self.org_uuid]
        if self.member:
            course.append("d.course_published = 1")
        mine = ""
        if self.author_uuid:
            course.append("d.author_uuid = ?")
            params.append(self.author_uuid)
            mine = " OR d.author_uuid = ?"
        collection = "d.public = 1" + (" OR 1 = 1" if self.member else "")
        clause = (
            f"d.org_uuid = ? AND ((d.kind <> 'collection' AND ({' OR '.join(course)})"
            f" AND (d.published = 1{mine})) OR (d.kind = 'collection' AND ({collection})))"
        )
        if self.author_uuid:
            params.append(self.author_uuid)
        return clause, params


def terms_of(query: str) -> list[str]:
    return WORD.findall(normalise(query))[:MAX_TERMS]


def prefix_match(terms: list[str], column: str) -> tuple[str, list[Any]]:
    """PostgreSQL: every term as a prefix token (exact GIN lookups in ``column``). A term
    longer than the indexed prefixes also needs the (rechecking) full-text condition."""
    condition = f"d.{column} @@ to_tsquery('simple', ?)"
    params: list[Any] = [" & ".join(t[:PREFIX_MAX] for t in terms)]
    long = [t for t in terms if len(t) > PREFIX_MAX]
    if long:
        condition += " AND d.tsv @@ to_tsquery('simple', ?)"
        params.append(" & ".join(f"{t}:*" for t in long))
    return condition, params


class SearchQueries:
    def __init__(self, projection: SearchIndexProjection, cache: ReadCache | None = None) -> None:
        self._p = projection
        self._db = projection.store
        # Results are kept while the index does not change: a catalog that is read far more
        # than it is written answers a repeated query (and its totals) from memory.
        self._cache = cache or ReadCache(None)
        self.docs = projection.table("docs")

    def _match(self, terms: list[str], kind: str) -> tuple[str, str, list[Any], str, list[Any]]:
        """(FROM clause, match condition, its params, rank expression, its params).
        ``kind`` is one of KINDS and is inlined so PostgreSQL can pick its partial index."""
        assert kind in KINDS
        if self._p.dialect == "postgres":
            condition, params = prefix_match(terms, "tsv_prefix")
            return (
                f"{self.docs} d",
                f"d.kind = '{kind}' AND {condition}",
                params,
                # Ranked on the weighted text (title above body), for the matched rows only.
                "ts_rank(d.tsv, to_tsquery('simple', ?)) DESC",
                [" & ".join(f"{t}:*" for t in terms)],
            )
        fts = self._p.fts(kind)
        return (
            # CROSS JOIN keeps SQLite from driving the join from the docs table
            f"{fts} f CROSS JOIN {self.docs} d ON d.doc_id = f.rowid",
            f"{fts} MATCH ?",
            [" ".join(f'"{t}"*' for t in terms)],
            f"bm25({fts}, 10.0, 1.0)",
            [],
        )

    def search(self, scope: SearchScope, query: str, kinds: tuple[str, ...], page: int, limit: int) -> dict[str, list[Row]]:
        terms = terms_of(query)
        if not terms:
            return {k: [] for k in kinds}
        where, params = scope.where()
        out = {}
        for kind in kinds:
            key = ("search", kind, scope, tuple(terms), page, limit)
            load = functools.partial(self._page, terms, kind, where, params, page, limit)
            out[kind] = [dict(r) for r in self._cache.get(key, INDEX, load)]
        return out

    def _page(
        self, terms: list[str], kind: str, where: str, params: list[Any], page: int, limit: int
    ) -> list[Row]:
        if kind == "activity":
            return self._tiered(terms, where, params, page, limit)
        source, match, match_params, rank, rank_params = self._match(terms, kind)
        return self._db.fetchall(
            f"SELECT d.doc_id, d.kind, d.uuid, d.course_uuid, d.title FROM {source}"
            f" WHERE {match} AND {where} ORDER BY {rank}, d.doc_id DESC LIMIT ? OFFSET ?",
            (*match_params, *params, *rank_params, limit, (page - 1) * limit),
        )

    def _tiered(self, terms: list[str], where: str, params: list[Any], page: int, limit: int) -> list[Row]:
        """Activities (the large corpus): title matches ranked first, then body-only matches
        newest first. Ranking every body match cost ~50 ms per query at 200,000 activities;
        this keeps the rank work to the (few) title hits, and the body tier needs no rank
        (SQLite streams it in rowid order; PostgreSQL has a title-only tsvector for tier one)."""
        columns = "SELECT d.doc_id, d.kind, d.uuid, d.course_uuid, d.title "
        if self._p.dialect == "postgres":
            tsquery = " & ".join(f"{t}:*" for t in terms)
            source = f"FROM {self.docs} d WHERE d.kind = 'activity' AND "
            in_title, title_params = prefix_match(terms, "tsv_title_prefix")
            anywhere, anywhere_params = prefix_match(terms, "tsv_prefix")
            title = (f"{source}{in_title} AND {where}", [*title_params, *params])
            title_order = ("ts_rank(d.tsv, to_tsquery('simple', ?)) DESC, d.doc_id DESC", [tsquery])
            body = (
                f"{source}{anywhere} AND NOT ({in_title}) AND {where}",
                [*anywhere_params, *title_params, *params],
            )
            body_order = "d.doc_id DESC"
        else:
            fts = self._p.fts("activity")
            text = " ".join(f'"{t}"*' for t in terms)
            in_title = f"{{title}}: ({text})"
            source = f"FROM {fts} f CROSS JOIN {self.docs} d ON d.doc_id = f.rowid WHERE {fts} MATCH ? AND "
            title = (f"{source}{where}", [in_title, *params])
            title_order = (f"bm25({fts}, 10.0, 1.0), d.doc_id DESC", [])
            body = (f"{source}{where}", [f"({text}) NOT {in_title}", *params])
            body_order = "f.rowid DESC"
        offset = (page - 1) * limit
        counted = self._db.fetchone(f"SELECT COUNT(*) AS n {title[0]}", title[1])
        title_hits = int(counted["n"]) if counted else 0
        rows: list[Row] = []
        if offset < title_hits:
            rows = self._db.fetchall(
                f"{columns}{title[0]} ORDER BY {title_order[0]} LIMIT ? OFFSET ?",
                (*title[1], *title_order[1], limit, offset),
            )
        if len(rows) < limit:
            rows += self._db.fetchall(
                f"{columns}{body[0]} ORDER BY {body_order} LIMIT ? OFFSET ?",
                (*body[1], limit - len(rows), max(0, offset - title_hits)),
            )
        return rows

    def rows_by_uuid(self, table: str, column: str, uuids: list[str]) -> list[Row]:
        """Rows of another read model (e.g. the catalog) in the given order, in one query."""
        if not uuids:
            return []
        marks = ", ".join("?" for _ in uuids)
        found = {r[column]: r for r in self._db.fetchall(f"SELECT * FROM {table} WHERE {column} IN ({marks})", tuple(uuids))}
        return [found[u] for u in uuids if u in found]

    def totals(self, scope: SearchScope, query: str) -> dict[str, int]:
        terms = terms_of(query)
        if not terms:
            return dict.fromkeys(KINDS, 0)
        return dict(self._cache.get(("totals", scope, tuple(terms)), INDEX, lambda: self._count(terms, scope)))

    def _count(self, terms: list[str], scope: SearchScope) -> dict[str, int]:
        counts = dict.fromkeys(KINDS, 0)
        where, params = scope.where()
        for kind in KINDS:
            source, match, match_params, _, _ = self._match(terms, kind)
            row = self._db.fetchone(
                f"SELECT COUNT(*) AS n FROM {source} WHERE {match} AND {where}", (*match_params, *params)
            )
            counts[kind] = int(row["n"]) if row else 0
        return counts

"""The search index's tables: the ``docs`` rows both engines keep, and each engine's index
beside them (SQLite: one FTS5 table per kind; PostgreSQL: the ``match`` table with its GIN
indexes, the ``vocab`` of indexed words and the prefix counts). What the rows mean and how
they are written is told in ``projections/search_index.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from infrastructure.read_store import ReadStore, Tx
from projections.engine.framework import Projection
from projections.search_counts import FLAGS as VISIBILITY_FLAGS
from projections.search_counts import PrefixCounts

KINDS = ("course", "chapter", "activity", "collection")
#: PostgreSQL: the weighted vector that ranks courses, chapters and collections
RANKED = "setweight(to_tsvector('simple', {norm_title}), 'A') || setweight(to_tsvector('simple', {norm_body}), 'B')"


class SearchTables(Projection):
    """The search projection's table shapes, per dialect (its handlers live in a subclass)."""

    tables = {
        "docs": (
            "doc_id BIGINT PRIMARY KEY, kind TEXT NOT NULL, uuid TEXT NOT NULL UNIQUE,"
            " org_uuid TEXT NOT NULL, course_uuid TEXT, title TEXT NOT NULL, parts TEXT NOT NULL,"
            " norm_title TEXT NOT NULL, norm_body TEXT NOT NULL, course_public INTEGER NOT NULL,"
            " course_published INTEGER NOT NULL, author_uuid TEXT, published INTEGER NOT NULL,"
            " public INTEGER NOT NULL"
        ),
    }
    indexes = (
        "CREATE INDEX IF NOT EXISTS {docs}_course ON {docs} (course_uuid)",
        "CREATE INDEX IF NOT EXISTS {docs}_org ON {docs} (org_uuid, kind)",
    )
    #: what visibility needs, kept beside the index (FTS5 ``vis`` tokens / PostgreSQL ``match``)
    FLAGS = VISIBILITY_FLAGS

    def __init__(self, store: ReadStore) -> None:
        super().__init__(store)
        self.dialect = store.dialect

    def fts(self, kind: str) -> str:
        """One FTS5 table per kind: a course search never walks activity postings."""
        return self.table(f"fts_{kind}")

    def extra_ddl(self) -> Sequence[str]:
        match, vocab = self.table("match"), self.table("vocab")
        if self.dialect == "postgres":
            # Narrow rows: a count visits every match's row, so the row holds only what the
            # filter needs (about 330 bytes for an activity of 10 words; its doc row is 1 KB).
            return (
                # ``tsv`` (weighted, with positions) ranks courses, chapters and collections;
                # activities are tiered instead and leave it NULL.
                f"CREATE TABLE IF NOT EXISTS {match} (doc_id BIGINT PRIMARY KEY, kind TEXT NOT NULL,"
                " org_uuid UUID NOT NULL, author_uuid UUID, course_public SMALLINT NOT NULL,"
                " course_published SMALLINT NOT NULL, published SMALLINT NOT NULL,"
                " public SMALLINT NOT NULL, words TSVECTOR NOT NULL, title_words TSVECTOR NOT NULL,"
                " tsv TSVECTOR)",
                # One partial GIN index per kind (queries name the kind literally, so the planner
                # can use it): a course search never reads activity postings. No fast-update
                # pending list: with autovacuum late or off, every query scanned up to 4 MB of
                # it (a two-term count took 17 ms with it, 8 ms after it was merged).
                *(
                    f"CREATE INDEX IF NOT EXISTS {match}_words_{kind} ON {match} USING GIN (words)"
                    f" WITH (fastupdate = off) WHERE kind = '{kind}'"
                    for kind in KINDS
                ),
                # Titles alone, for the activities' first tier.
                f"CREATE INDEX IF NOT EXISTS {match}_title_activity ON {match} USING GIN (title_words)"
                " WITH (fastupdate = off) WHERE kind = 'activity'",
                f'CREATE TABLE IF NOT EXISTS {vocab} (word TEXT COLLATE "C" PRIMARY KEY)',
                PrefixCounts(self.table("counts")).ddl(),
            )
        return tuple(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {self.fts(kind)} USING fts5(title, body, vis,"
            " tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4')"
            for kind in KINDS
        )

    def analyzed_tables(self) -> list[str]:
        extra = [self.table(t) for t in ("match", "vocab", "counts")] if self.dialect == "postgres" else []
        return [*super().analyzed_tables(), *extra]

    def drop_extra(self, tx: Tx, version: int) -> None:
        names = [f"fts_{kind}" for kind in KINDS] if self.dialect == "sqlite" else ["match", "vocab", "counts"]
        for name in names:  # an older version's too (each version named its tables alike)
            tx.execute(f"DROP TABLE IF EXISTS {self.table(name, version)}")

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        out = super().dump()
        if self.dialect == "sqlite":
            for kind in KINDS:
                out[f"fts_{kind}"] = self.store.fetchall(f"SELECT rowid, * FROM {self.fts(kind)} ORDER BY rowid")
        else:
            out["match"] = self.store.fetchall(
                f"SELECT doc_id, kind, org_uuid::text AS org_uuid, author_uuid::text AS author_uuid,"
                f" {', '.join(self.FLAGS)}, words::text AS words, title_words::text AS title_words, tsv::text AS tsv"
                f" FROM {self.table('match')} ORDER BY doc_id"
            )
            out["vocab"] = self.store.fetchall(f"SELECT word FROM {self.table('vocab')} ORDER BY word")
            # Rows at zero are left behind by removals; where a batch ended decides which exist.
            out["counts"] = self.store.fetchall(
                f"SELECT org_uuid::text AS org, kind, token, field, author_uuid::text AS author,"
                f" {', '.join(self.FLAGS)}, n FROM {self.table('counts')} WHERE n <> 0"
                " ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9"
            )
        return out

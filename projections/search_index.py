"""Full-text search index over courses, chapters, activities and collections.

Both engines answer a query, its visibility filter and its true totals from the index alone,
and touch the wide ``docs`` rows only for the page they return. Counting 45,000 matches by
visiting each match's doc row cost 33 ms (SQLite) and 75 ms (PostgreSQL) at 200,000 activities.

SQLite: one FTS5 table per kind (``unicode61 remove_diacritics 2``, prefix indexes) with a third
column ``vis`` of visibility tokens (the org, whether the course is open or published, whether
the item is published or public, the course author), so the caller's scope is part of the MATCH.

PostgreSQL: a narrow ``match`` table (ids, visibility flags and two stripped ``tsvector``s: the
doc's words, and its title's words) with a GIN index per kind. Each word is indexed whole plus
its first ``PREFIX_TOKEN`` letters as a marked token (``_pyt``); other query prefixes are
expanded through the ``vocab`` table (``word_vector``), so every lookup is exact and no
candidate is rechecked. Courses, chapters and collections also keep a weighted ``tsv`` there,
to rank a page. One-term totals come from prefix counts the projection keeps
(``projections/search_counts.py``): PostgreSQL counts matches only by visiting each one's row.

Text is normalised in Python (``projections.search_text``) before it is indexed and before a
query is parsed. Doc ids are the log positions of the creation events (= the resources'
numeric ids). New docs are buffered rows (``Writes``): a batch of creations is one insert per
table; a child doc takes its course's visibility from memory, not from the course's row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import msgspec

from domain.activities import Activity
from domain.chapters import Chapter
from domain.collections import Collection
from domain.courses import Course
from domain.orgs import Org
from infrastructure.event_store import LoggedEvent
from infrastructure.read_store import ReadStore, Tx
from projections.engine.batch_writes import Writes
from projections.engine.framework import Handler, Projection
from projections.engine.memo import Memo
from projections.identity import oid
from projections.search_counts import FLAGS as VISIBILITY_FLAGS
from projections.search_counts import PrefixCounts, vector_words
from projections.search_text import (  # noqa: F401 - re-exported for the queries
    MAX_WORD_BYTES,
    PREFIX_TOKEN,
    WORD,
    content_text,
    hex_id,
    lexeme,
    normalise,
    visibility_tokens,
    word_vector,
    words_of,
)

COURSE_TEXT = ("description", "about", "learnings", "tags")
KINDS = ("course", "chapter", "activity", "collection")
MAX_BODY = 20_000
#: PostgreSQL: the weighted vector that ranks courses, chapters and collections
RANKED = "setweight(to_tsvector('simple', {norm_title}), 'A') || setweight(to_tsvector('simple', {norm_body}), 'B')"
_encode = msgspec.json.encode
#: what a child doc copies from its course doc
COURSE_FLAGS = ("course_public", "course_published", "author_uuid")


class SearchIndexProjection(Projection):
    name = "search"
    version = 7
    rebuild_cost = 2.0  # normalising text, word vectors and prefix counts
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
        self.counts = PrefixCounts(self.table("counts")) if self.dialect == "postgres" else None
        # A course doc's visibility and author, which its chapters and activities copy.
        self._courses: Memo[str, dict[str, Any]] = Memo()
        # Words known to be in ``vocab`` (PostgreSQL): a vocabulary repeats from doc to doc.
        self._vocab: set[str] = set()

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

    def handlers(self) -> dict[type, Handler]:
        return {
            Org.OrgDeleted: self._org_deleted,
            Course.CourseCreated: self._course_created,
            Course.CourseUpdated: self._course_updated,
            Course.CoursePublished: lambda tx, e: self._course_flags(tx, e, course_published=1),
            Course.CourseUnpublished: lambda tx, e: self._course_flags(tx, e, course_published=0),
            Course.CourseDeleted: self._course_deleted,
            Chapter.ChapterCreated: self._chapter_created,
            Chapter.ChapterUpdated: self._changed,
            Chapter.ChapterDeleted: self._deleted,
            Activity.ActivityCreated: self._activity_created,
            Activity.ActivityUpdated: self._changed,
            Activity.ActivityRestored: self._restored,
            Activity.ActivityDeleted: self._deleted,
            Collection.CollectionCreated: self._collection_created,
            Collection.CollectionUpdated: self._changed,
            Collection.CollectionDeleted: self._deleted,
        }

    def before_commit(self, tx: Writes) -> None:
        if self.counts is not None:
            self.counts.flush(tx)

    def rolled_back(self) -> None:
        if self.counts is not None:
            self.counts.clear()
        self._courses.clear()
        self._vocab.clear()

    def resumed(self) -> None:
        self.rolled_back()

    # -- writing docs -------------------------------------------------------------------
    def _write(self, tx: Writes, doc_id: int, title: str, parts: dict[str, str], **cols: Any) -> None:
        body = " ".join(p for p in parts.values() if p)[:MAX_BODY]
        norm_title, norm_body = normalise(title), normalise(body)
        values: dict[str, Any] = {
            "title": title, "parts": _encode(parts, order="sorted").decode(),
            "norm_title": norm_title, "norm_body": norm_body, **cols,
        }
        if self.dialect == "postgres":  # the index keeps the words (FTS5 holds SQLite's copy)
            values["norm_title"] = values["norm_body"] = ""
        docs = self.table("docs")
        if cols:  # a new doc
            tx.insert(docs, {"doc_id": doc_id, **values})
        else:
            tx.update(docs, {"doc_id": doc_id}, values)
        if self.dialect == "postgres":
            self._write_match(tx, doc_id, norm_title, norm_body, cols)
            return
        doc = cols if cols else tx.fetchone(f"SELECT * FROM {docs} WHERE doc_id = ?", (doc_id,))
        assert doc is not None
        fts = self.fts(doc["kind"])
        if not cols:  # an edit: the doc's index row is replaced
            tx.delete(fts, {"rowid": doc_id})
        tx.insert(fts, {"rowid": doc_id, "title": norm_title, "body": norm_body, "vis": visibility_tokens(doc)})

    def _write_match(self, tx: Writes, doc_id: int, norm_title: str, norm_body: str, cols: dict[str, Any]) -> None:
        title_words = words_of(norm_title)
        words = list(dict.fromkeys([*title_words, *words_of(norm_body)]))
        match = self.table("match")
        assert self.counts is not None
        if cols:
            self.counts.add(cols, words, title_words, +1)
            row = {
                "doc_id": doc_id, "kind": cols["kind"], "org_uuid": cols["org_uuid"],
                "author_uuid": cols["author_uuid"], **{f: cols[f] for f in self.FLAGS},
                "words": word_vector(words), "title_words": word_vector(title_words),
            }
            if cols["kind"] == "activity":  # tiered, not ranked: no weighted vector
                tx.insert(match, {**row, "tsv": None})
            else:
                tx.insert(match, {**row, "norm_title": norm_title, "norm_body": norm_body}, computed={"tsv": RANKED})
        else:
            for old in self._match_rows(tx, "doc_id = ?", (doc_id,)):
                self.counts.add(old, vector_words(old["words"]), vector_words(old["title_words"]), -1)
                self.counts.add(old, words, title_words, +1)
            weighted = RANKED.format(norm_title="?", norm_body="?")
            tx.execute(
                f"UPDATE {match} SET words = ?::tsvector, title_words = ?::tsvector,"
                f" tsv = CASE WHEN kind = 'activity' THEN NULL ELSE {weighted} END WHERE doc_id = ?",
                (word_vector(words), word_vector(title_words), norm_title, norm_body, doc_id),
            )
        # Words are never removed: one no doc holds any more expands to a lexeme matching nothing.
        known = self._vocab
        if not known.issuperset(words):
            new = set(words).difference(known)
            if len(known) > 200_000:
                known.clear()
            vocab = self.table("vocab")
            for word in new:
                tx.upsert(vocab, {"word": word})
            known.update(new)

    def _set_flags(self, tx: Writes, where: str, params: tuple[Any, ...], flags: dict[str, int]) -> None:
        """Change visibility flags of the docs ``where`` selects, and the index copies of them."""
        docs = self.table("docs")
        assigns = ", ".join(f"{k} = ?" for k in flags)
        tx.execute(f"UPDATE {docs} SET {assigns} WHERE {where}", (*flags.values(), *params))
        if self.dialect == "postgres":
            assert self.counts is not None
            for old in self._match_rows(tx, where, params):
                words, title_words = vector_words(old["words"]), vector_words(old["title_words"])
                self.counts.add(old, words, title_words, -1)
                self.counts.add({**old, **flags}, words, title_words, +1)
            tx.execute(
                f"UPDATE {self.table('match')} SET {assigns} WHERE doc_id IN (SELECT doc_id FROM {docs} WHERE {where})",
                (*flags.values(), *params),
            )
            return
        for doc in tx.fetchall(f"SELECT * FROM {docs} WHERE {where}", params):
            tx.update(self.fts(doc["kind"]), {"rowid": doc["doc_id"]}, {"vis": visibility_tokens(doc)})

    def _match_rows(self, tx: Writes, where: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        """PostgreSQL: the ``match`` rows of the docs ``where`` selects, as counted."""
        return tx.fetchall(
            f"SELECT kind, org_uuid::text AS org_uuid, author_uuid::text AS author_uuid, {', '.join(self.FLAGS)},"
            f" words::text AS words, title_words::text AS title_words FROM {self.table('match')}"
            f" WHERE doc_id IN (SELECT doc_id FROM {self.table('docs')} WHERE {where})",
            params,
        )

    def _remove(self, tx: Writes, where: str, params: tuple[Any, ...], whole_org: bool = False) -> None:
        docs = self.table("docs")
        if self.counts is not None:
            if whole_org:
                self.counts.forget_org(tx, str(params[0]))
            else:
                for old in self._match_rows(tx, where, params):
                    self.counts.add(old, vector_words(old["words"]), vector_words(old["title_words"]), -1)
        if self.dialect == "sqlite":
            for kind in KINDS:
                tx.execute(
                    f"DELETE FROM {self.fts(kind)} WHERE rowid IN"
                    f" (SELECT doc_id FROM {docs} WHERE kind = '{kind}' AND ({where}))",
                    params,
                )
        else:
            tx.execute(
                f"DELETE FROM {self.table('match')} WHERE doc_id IN (SELECT doc_id FROM {docs} WHERE {where})", params
            )
        tx.execute(f"DELETE FROM {docs} WHERE {where}", params)

    def _doc(self, tx: Writes, uuid: str) -> dict[str, Any] | None:
        return tx.fetchone(f"SELECT * FROM {self.table('docs')} WHERE uuid = ?", (uuid,))

    # -- handlers -----------------------------------------------------------------------
    def _org_deleted(self, tx: Writes, logged: LoggedEvent) -> None:
        self._remove(tx, "org_uuid = ?", (oid(logged),), whole_org=True)
        self._courses.clear()

    def _course_created(self, tx: Writes, logged: LoggedEvent) -> None:
        e: Any = logged.event
        doc = {
            "kind": "course", "uuid": oid(logged), "org_uuid": str(e.org_id), "course_uuid": oid(logged),
            "course_public": int(e.public), "course_published": int(e.published),
            "author_uuid": str(e.author_id), "published": 1, "public": int(e.public),
        }
        self._write(tx, logged.position, e.name, {k: getattr(e, k) or "" for k in COURSE_TEXT}, **doc)
        self._courses.put(oid(logged), {k: doc[k] for k in COURSE_FLAGS})

    def _course_updated(self, tx: Writes, logged: LoggedEvent) -> None:
        changes = logged.event.changes  # type: ignore[attr-defined]
        if "public" in changes:
            self._course_flags(tx, logged, course_public=int(changes["public"]))
        self._changed(tx, logged)

    def _course_flags(self, tx: Writes, logged: LoggedEvent, **flags: int) -> None:
        self._set_flags(tx, "course_uuid = ?", (oid(logged),), flags)
        known = self._courses.get(oid(logged))
        if known is not None:
            self._courses.put(oid(logged), {**known, **flags})

    def _course_deleted(self, tx: Writes, logged: LoggedEvent) -> None:
        self._remove(tx, "course_uuid = ?", (oid(logged),))
        self._courses.forget(oid(logged))

    def _course(self, tx: Writes, course_uuid: str) -> dict[str, Any] | None:
        known = self._courses.get(course_uuid)
        if known is None:
            doc = self._doc(tx, course_uuid)
            if doc is None:
                return None
            known = {k: doc[k] for k in COURSE_FLAGS}
            self._courses.put(course_uuid, known)
        return known

    def _child(self, tx: Writes, logged: LoggedEvent, kind: str, title: str, parts: dict[str, str], published: int) -> None:
        e: Any = logged.event
        course = self._course(tx, str(e.course_id))
        if course is None:
            return
        self._write(
            tx, logged.position, title, parts, kind=kind, uuid=oid(logged), org_uuid=str(e.org_id),
            course_uuid=str(e.course_id), course_public=course["course_public"],
            course_published=course["course_published"], author_uuid=course["author_uuid"],
            published=published, public=course["course_public"],
        )

    def _chapter_created(self, tx: Writes, logged: LoggedEvent) -> None:
        e: Any = logged.event
        self._child(tx, logged, "chapter", e.name, {"description": e.description}, 1)

    def _activity_created(self, tx: Writes, logged: LoggedEvent) -> None:
        e: Any = logged.event
        self._child(tx, logged, "activity", e.name, {"content": " ".join(content_text(e.content))}, int(e.published))

    def _collection_created(self, tx: Writes, logged: LoggedEvent) -> None:
        e: Any = logged.event
        self._write(
            tx, logged.position, e.name, {"description": e.description}, kind="collection",
            uuid=oid(logged), org_uuid=str(e.org_id), course_uuid=None, course_public=1,
            course_published=1, author_uuid=None, published=1, public=int(e.public),
        )

    def _apply_changes(self, tx: Writes, logged: LoggedEvent, changes: dict[str, Any]) -> None:
        doc = self._doc(tx, oid(logged))
        if doc is None:
            return
        parts = json.loads(doc["parts"])
        for key, value in changes.items():
            if key == "content":
                parts["content"] = " ".join(content_text(value))
            elif key in parts and isinstance(value, str):
                parts[key] = value
        flags = {}
        if "published" in changes and doc["kind"] == "activity":
            flags["published"] = int(changes["published"])
        if "public" in changes and doc["kind"] == "collection":
            flags["public"] = int(changes["public"])
        if flags:
            self._set_flags(tx, "doc_id = ?", (doc["doc_id"],), flags)
        self._write(tx, int(doc["doc_id"]), str(changes.get("name") or doc["title"]), parts)

    def _changed(self, tx: Writes, logged: LoggedEvent) -> None:
        self._apply_changes(tx, logged, logged.event.changes)  # type: ignore[attr-defined]

    def _restored(self, tx: Writes, logged: LoggedEvent) -> None:
        self._apply_changes(tx, logged, logged.event.state)  # type: ignore[attr-defined]

    def _deleted(self, tx: Writes, logged: LoggedEvent) -> None:
        self._remove(tx, "uuid = ?", (oid(logged),))

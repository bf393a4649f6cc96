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
numeric ids). Docs are written as buffered rows (``Writes``): a batch of creations is one insert
per table. A child doc takes its course's visibility from memory, and an edit the doc's title,
text and flags (``_docs``): reading them back would write the batch's buffered rows first (a
rebuild of a history with edits made one statement per event). Tables: ``search_tables.py``.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import msgspec

from domain.activities import Activity
from domain.chapters import Chapter
from domain.collections import Collection
from domain.courses import Course
from domain.orgs import Org
from infrastructure.event_store import LoggedEvent
from infrastructure.read_store import ReadStore
from infrastructure.uuid_text import uuid_text
from projections.engine.framework import Handler
from projections.engine.memo import Memo
from projections.engine.writes import Writes
from projections.identity import oid
from projections.search_counts import PrefixCounts, vector_words
from projections.search_tables import KINDS, RANKED, SearchTables
from projections.search_text import (  # noqa: F401 - re-exported for the queries
    MAX_WORD_BYTES,
    PREFIX_TOKEN,
    WORD,
    content_text,
    hex_id,
    lexeme,
    normalise,
    split_words,
    visibility_tokens,
    word_vector,
    words_of,
)

COURSE_TEXT = ("description", "about", "learnings", "tags")
MAX_BODY = 20_000
_encode = msgspec.json.encode
#: what a child doc copies from its course doc
COURSE_FLAGS = ("course_public", "course_published", "author_uuid")
#: what a collection (a doc of no course) holds in their place
NO_COURSE = {"course_public": 1, "course_published": 1, "author_uuid": None}
OWN = ("doc_id", "kind", "uuid", "org_uuid", "course_uuid", "published", "public")  # a doc's own columns
#: docs remembered for an edit (0.7 KB for a few lines, 3 KB at most); a longer text is read back
REMEMBERED_DOCS = 50_000
REMEMBERED_TEXT = 2_000


class Remembered(NamedTuple):
    """What an edit needs of a doc besides its course's flags (kept in ``_courses``, which a
    course's flag change updates once for all its docs). Kept as a plain tuple of strings and
    numbers, which the garbage collector stops tracking: as NamedTuples, the 50,000 kept
    objects made the collector's passes cost creations about 45% more CPU in the handlers."""

    doc_id: int
    kind: str
    uuid: str
    org_uuid: str
    course_uuid: str | None
    published: int
    public: int
    title: str
    parts: str  # as stored: JSON


class SearchIndexProjection(SearchTables):
    name = "search"
    version = 7
    rebuild_cost = 2.0  # normalising text, word vectors and prefix counts

    def __init__(self, store: ReadStore) -> None:
        super().__init__(store)
        self.counts = PrefixCounts(self.table("counts")) if self.dialect == "postgres" else None
        # A course doc's visibility and author, which its chapters and activities copy.
        self._courses: Memo[str, dict[str, Any]] = Memo()
        # A doc's own columns, title and parts, by uuid: what an edit needs, so it neither reads
        # the doc back nor writes the batch out before it.
        self._docs: Memo[str, tuple[Any, ...]] = Memo(REMEMBERED_DOCS)
        # Words known to be in ``vocab`` (PostgreSQL): a vocabulary repeats from doc to doc.
        self._vocab: set[str] = set()

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
        self._docs.clear()
        self._vocab.clear()

    def resumed(self) -> None:
        self.rolled_back()

    # -- writing docs -------------------------------------------------------------------
    def _write(
        self, tx: Writes, doc: dict[str, Any], title: str, parts: dict[str, str], old: dict[str, Any] | None = None
    ) -> None:
        """Write ``doc`` (its columns, ``OWN`` and ``COURSE_FLAGS``) with this text, and its index
        row; ``old``: the doc as it was (``_known``) when this is an edit."""
        text = " ".join(p for p in parts.values() if p)
        norm_title, norm_body = normalise(title), normalise(text[:MAX_BODY])
        encoded = _encode(parts, order="sorted").decode()
        docs, doc_id = self.table("docs"), doc["doc_id"]
        # The index keeps the words on PostgreSQL (FTS5 holds SQLite's copy).
        kept = ("", "") if self.dialect == "postgres" else (norm_title, norm_body)
        if old is None:  # ``doc`` holds its columns in one order, whichever handler made it
            tx.insert(docs, {**doc, "title": title, "parts": encoded, "norm_title": kept[0], "norm_body": kept[1]})
        else:
            tx.update(docs, {"doc_id": doc_id}, {
                "title": title, "parts": encoded, "norm_title": kept[0], "norm_body": kept[1],
                "published": doc["published"], "public": doc["public"],
            })
        if self.dialect == "postgres":
            self._write_match(tx, doc, norm_title, norm_body, old)
        else:
            fts = self.fts(doc["kind"])
            if old is not None:  # an edit: the doc's index row is replaced
                tx.delete(fts, {"rowid": doc_id})
            tx.insert(fts, {"rowid": doc_id, "title": norm_title, "body": norm_body, "vis": visibility_tokens(doc)})
        remembered = self._docs
        if len(title) + len(text) > REMEMBERED_TEXT:
            remembered.forget(doc["uuid"])
            return
        remembered.put(doc["uuid"], (
            doc["doc_id"], doc["kind"], doc["uuid"], doc["org_uuid"], doc["course_uuid"], doc["published"],
            doc["public"], title, encoded,
        ))

    def _write_match(
        self, tx: Writes, doc: dict[str, Any], norm_title: str, norm_body: str, old: dict[str, Any] | None
    ) -> None:
        """PostgreSQL: the doc's ``match`` row and prefix counts."""
        words, title_words = _words(norm_title, norm_body)
        match = self.table("match")
        assert self.counts is not None
        if old is not None:  # an edit: counted out with its old words and flags, its row replaced
            if "words" in old:  # read back from its row
                self.counts.add(old, old["words"], old["title_words"], -1)
            else:  # remembered: its words again from its text, as they were indexed
                old_text = " ".join(p for p in old["parts"].values() if p)[:MAX_BODY]
                self.counts.add(old, *_words(normalise(old["title"]), normalise(old_text)), -1)
            tx.delete(match, {"doc_id": doc["doc_id"]})
        self.counts.add(doc, words, title_words, +1)
        row = {
            "doc_id": doc["doc_id"], "kind": doc["kind"], "org_uuid": doc["org_uuid"],
            "author_uuid": doc["author_uuid"], **{f: doc[f] for f in self.FLAGS},
            "words": word_vector(words), "title_words": word_vector(title_words),
        }
        if doc["kind"] == "activity":  # tiered, not ranked: no weighted vector
            tx.insert(match, {**row, "tsv": None})
        else:
            tx.insert(match, {**row, "norm_title": norm_title, "norm_body": norm_body}, computed={"tsv": RANKED})
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

    def _known(self, tx: Writes, uuid: str) -> dict[str, Any] | None:
        """A doc as an edit needs it (``OWN``, ``COURSE_FLAGS``, title and parts; read back, its
        indexed words too on PostgreSQL): from memory when remembered, else from its rows."""
        kept = self._docs.get(uuid)
        if kept is None:
            return self._read_back(tx, uuid)
        known = Remembered._make(kept)
        course = NO_COURSE if known.course_uuid is None else self._course(tx, known.course_uuid)
        if course is None:  # its course was deleted, and the course's docs with it
            self._docs.forget(uuid)
            return None
        doc = {**known._asdict(), **course}
        doc["parts"] = json.loads(known.parts)
        return doc

    def _read_back(self, tx: Writes, uuid: str) -> dict[str, Any] | None:
        row = self._doc(tx, uuid)
        if row is None:
            return None
        doc = {k: row[k] for k in (*OWN, *COURSE_FLAGS, "title")}
        doc["parts"] = json.loads(row["parts"])
        if self.dialect == "postgres":
            doc["words"] = doc["title_words"] = []
            for old in self._match_rows(tx, "doc_id = ?", (row["doc_id"],)):
                doc["words"], doc["title_words"] = vector_words(old["words"]), vector_words(old["title_words"])
        if doc["course_uuid"] is not None and self._courses.get(doc["course_uuid"]) is None:
            self._courses.put(doc["course_uuid"], {k: doc[k] for k in COURSE_FLAGS})
        return doc

    # -- handlers -----------------------------------------------------------------------
    def _org_deleted(self, tx: Writes, logged: LoggedEvent) -> None:
        self._remove(tx, "org_uuid = ?", (oid(logged),), whole_org=True)
        self._courses.clear()
        self._docs.clear()

    def _course_created(self, tx: Writes, logged: LoggedEvent) -> None:
        e: Any = logged.event
        doc = {
            "doc_id": logged.position, "kind": "course", "uuid": oid(logged), "org_uuid": uuid_text(e.org_id),
            "course_uuid": oid(logged), "published": 1, "public": int(e.public),
            "course_public": int(e.public), "course_published": int(e.published), "author_uuid": uuid_text(e.author_id),
        }
        self._courses.put(oid(logged), {k: doc[k] for k in COURSE_FLAGS})
        self._write(tx, doc, e.name, {k: getattr(e, k) or "" for k in COURSE_TEXT})

    def _course_updated(self, tx: Writes, logged: LoggedEvent) -> None:
        changes = logged.event.changes  # type: ignore[attr-defined]
        if "public" in changes:
            self._course_flags(tx, logged, course_public=int(changes["public"]))
        self._changed(tx, logged)

    def _course_flags(self, tx: Writes, logged: LoggedEvent, **flags: int) -> None:
        # Every doc of the course changes: rows chosen by course, read and written as such.
        # Remembered docs keep no course flags (``_known`` takes them from ``_courses``).
        self._set_flags(tx, "course_uuid = ?", (oid(logged),), flags)
        known = self._courses.get(oid(logged))
        if known is not None:
            self._courses.put(oid(logged), {**known, **flags})

    def _course_deleted(self, tx: Writes, logged: LoggedEvent) -> None:
        self._remove(tx, "course_uuid = ?", (oid(logged),))
        self._courses.forget(oid(logged))
        self._docs.forget(oid(logged))  # its chapters' and activities': see ``_known``

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
        course_uuid = uuid_text(e.course_id)
        course = self._course(tx, course_uuid)
        if course is None:
            return
        doc = {
            "doc_id": logged.position, "kind": kind, "uuid": oid(logged), "org_uuid": uuid_text(e.org_id),
            "course_uuid": course_uuid, "published": published, "public": course["course_public"], **course,
        }
        self._write(tx, doc, title, parts)

    def _chapter_created(self, tx: Writes, logged: LoggedEvent) -> None:
        e: Any = logged.event
        self._child(tx, logged, "chapter", e.name, {"description": e.description}, 1)

    def _activity_created(self, tx: Writes, logged: LoggedEvent) -> None:
        e: Any = logged.event
        self._child(tx, logged, "activity", e.name, {"content": " ".join(content_text(e.content))}, int(e.published))

    def _collection_created(self, tx: Writes, logged: LoggedEvent) -> None:
        e: Any = logged.event
        doc = {
            "doc_id": logged.position, "kind": "collection", "uuid": oid(logged), "org_uuid": uuid_text(e.org_id),
            "course_uuid": None, "published": 1, "public": int(e.public), **NO_COURSE,
        }
        self._write(tx, doc, e.name, {"description": e.description})

    def _apply_changes(self, tx: Writes, logged: LoggedEvent, changes: dict[str, Any]) -> None:
        old = self._known(tx, oid(logged))
        if old is None:
            return
        parts = dict(old["parts"])  # ``old`` keeps its own: its words are counted out from it
        for key, value in changes.items():
            if key == "content":
                parts["content"] = " ".join(content_text(value))
            elif key in parts and isinstance(value, str):
                parts[key] = value
        doc = {k: old[k] for k in (*OWN, *COURSE_FLAGS)}
        if "published" in changes and doc["kind"] == "activity":
            doc["published"] = int(changes["published"])
        if "public" in changes and doc["kind"] == "collection":
            doc["public"] = int(changes["public"])
        self._write(tx, doc, str(changes.get("name") or old["title"]), parts, old)

    def _changed(self, tx: Writes, logged: LoggedEvent) -> None:
        self._apply_changes(tx, logged, logged.event.changes)  # type: ignore[attr-defined]

    def _restored(self, tx: Writes, logged: LoggedEvent) -> None:
        self._apply_changes(tx, logged, logged.event.state)  # type: ignore[attr-defined]

    def _deleted(self, tx: Writes, logged: LoggedEvent) -> None:
        self._remove(tx, "uuid = ?", (oid(logged),))
        self._docs.forget(oid(logged))


def _words(norm_title: str, norm_body: str) -> tuple[list[str], list[str]]:
    """PostgreSQL: a doc's indexed words, and those of its title."""
    title_words = words_of(norm_title)
    return list(dict.fromkeys([*title_words, *words_of(norm_body)])), title_words

"""The search index edits a doc from what it remembers of it (title, text, flags, indexed
words), not from its rows: an edit makes no read, so a batch of creations and edits stays one
bulk write. What it remembers must never outlive a rolled-back batch, and a doc it does not
remember (another process wrote it, or memory was cleared) is read back with the same result."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from infrastructure.event_store import LoggedEvent
from projections.engine.batch_writes import BatchWrites
from projections.engine.framework import reset
from projections.queries.search import SearchQueries, SearchScope
from tests.api.content_helpers import create_activity, create_chapter

pytestmark = [pytest.mark.timeout(120)]


def text(words: str) -> dict[str, Any]:
    return {"type": "doc", "content": [{"type": "text", "text": words}]}


class Boom(Exception):
    pass


@pytest.fixture
def log(api: Any, client: Any, container: Any) -> dict[str, Any]:
    """A lesson created, renamed, its text replaced, then unpublished; a collection made
    private; the search index emptied, to be filled again batch by batch by the test."""
    admin = api.admin()
    course = api.create_course(admin, name="Memo course", public=True)
    chapter = create_chapter(client, admin, course, name="Memo chapter")
    lesson = create_activity(client, admin, chapter, name="Alpha lesson", content=text("zebra crossing"))
    created = container.events.last_position()
    path = f"/api/v1/activities/{lesson['activity_uuid']}"
    for change in ({"name": "Beta lesson"}, {"content": text("yak shaving")}, {"published": False}):
        assert client.put(path, json=change, headers=admin).status_code == 200
    made = client.post("/api/v1/collections/", json={"name": "Gamma set", "public": True, "org_id": 1}, headers=admin)
    assert made.status_code == 200, made.text
    put = client.put(f"/api/v1/collections/{made.json()['collection_uuid']}", json={"public": False}, headers=admin)
    assert put.status_code == 200, put.text
    head = container.events.last_position()
    assert container.board.wait(head, list(container.projections), timeout=60)
    container.loop.stop()
    projection = container.projections["search"]
    reset(projection)
    projection.resumed()  # as a follower starting on the emptied tables
    entries = [n for n in container.events.read_raw(0, 10_000) if n.topic in projection.topics]
    return {
        "projection": projection, "org": course["org_uuid"].removeprefix("org_"),
        "created": [n for n in entries if n.id <= created], "edits": [n for n in entries if n.id > created],
    }


def apply(container: Any, projection: Any, entries: Sequence[Any], fail: bool = False) -> int:
    """One batch as a follower writes it; returns how many reads its handlers made."""
    store, reads = projection.store, [0]
    try:
        with store.transaction() as tx:
            writes = BatchWrites(tx, store.dialect, projection.shapes())
            for name in ("fetchone", "fetchall"):
                def counted(*args: Any, _read: Any = getattr(writes, name)) -> Any:
                    reads[0] += 1
                    return _read(*args)
                setattr(writes, name, counted)
            for n in entries:
                projection.apply(writes, LoggedEvent(n.id, container.events.decode(n)), n.topic)
            projection.before_commit(writes)
            writes.flush()
            if fail:
                raise Boom
    except Boom:
        projection.rolled_back()
    return reads[0]


def found(projection: Any, scope: SearchScope, query: str) -> dict[str, list[str]]:
    """Titles found per kind, checked against the totals the index keeps for the same query."""
    queries = SearchQueries(projection)
    pages = queries.search(scope, query, ("activity", "collection"), 1, 10)
    totals = queries.totals(scope, query)
    titles = {kind: sorted(r["title"] for r in rows) for kind, rows in pages.items()}
    assert {kind: totals[kind] for kind in titles} == {kind: len(t) for kind, t in titles.items()}, query
    return titles


def assert_edited(log: dict[str, Any]) -> None:
    projection, org = log["projection"], log["org"]
    everything, anonymous = SearchScope(org, everything=True), SearchScope(org)
    assert found(projection, everything, "beta")["activity"] == ["Beta lesson"]
    assert found(projection, everything, "yak")["activity"] == ["Beta lesson"]
    for gone in ("alpha", "zebra"):
        assert found(projection, everything, gone)["activity"] == [], gone
    assert found(projection, anonymous, "beta")["activity"] == []  # unpublished
    assert found(projection, everything, "gamma")["collection"] == ["Gamma set"]
    assert found(projection, anonymous, "gamma")["collection"] == []  # made private


def test_edits_of_docs_created_in_the_same_batch_read_nothing(container, log):
    reads = apply(container, log["projection"], [*log["created"], *log["edits"]])

    assert reads == 0
    assert_edited(log)


def test_edits_of_docs_not_remembered_read_them_back_alike(container, log):
    projection = log["projection"]
    apply(container, projection, log["created"])
    projection.resumed()  # as when another process moved the position: memory is cleared

    assert apply(container, projection, log["edits"]) > 0
    assert_edited(log)


def test_a_rolled_back_edit_is_not_remembered(container, log):
    projection, org = log["projection"], log["org"]
    rename, content, *_ = log["edits"]
    apply(container, projection, log["created"])
    apply(container, projection, [rename], fail=True)

    apply(container, projection, [content])

    everything = SearchScope(org, everything=True)
    assert found(projection, everything, "alpha")["activity"] == ["Alpha lesson"]
    assert found(projection, everything, "yak")["activity"] == ["Alpha lesson"]
    assert found(projection, everything, "beta")["activity"] == []
    assert found(projection, SearchScope(org), "alpha")["activity"] == ["Alpha lesson"]  # still published

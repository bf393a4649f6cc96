"""A rebuild decodes only the events some projection it rebuilds handles, each once: the
entries of other topics are filtered out by the database and never reach the decoder, and an
event handled by several projections rebuilt together is decoded once for all of them."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from projections.engine.rebuild import Rebuild

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture
def history(api: Any, client: Any, container: Any) -> None:
    """Courses and activities (which content, search and catalog handle) beside accounts and
    memberships (which the catalog does not)."""
    admin = api.admin()
    for i in range(3):
        api.member(1, f"learner{i}@example.com")
        api.create_course(admin, name=f"Course {i}")
    assert container.board.wait(container.events.last_position(), list(container.projections), timeout=60)
    container.loop.stop()


def decoded_while(container: Any, rebuild: Rebuild) -> Counter[str]:
    """Topics decoded during ``rebuild.run()``, by counting calls to the store's decoder."""
    events = container.events
    seen: Counter[str] = Counter()
    original = events.decode

    def counting(entry: Any) -> Any:
        seen[str(entry.topic)] += 1
        return original(entry)

    events.decode = counting
    try:
        rebuild.run()
    finally:
        del events.decode
    return seen


def test_events_no_projection_handles_are_never_decoded(history, container):
    catalog = container.projections["catalog"]
    before = catalog.dump()

    seen = decoded_while(container, Rebuild(container.events, [catalog], batch_size=3))

    assert seen and set(seen) <= catalog.topics
    logged = Counter(str(e.topic) for e in container.events.read_entries(0, 100_000))
    assert set(logged) - catalog.topics, "the history has events the catalog does not handle"
    assert seen == Counter({t: n for t, n in logged.items() if t in catalog.topics})
    assert catalog.dump() == before


def test_an_event_several_projections_handle_is_decoded_once(history, container):
    chosen = [container.projections[n] for n in ("catalog", "content", "search")]
    before = [p.dump() for p in chosen]

    seen = decoded_while(container, Rebuild(container.events, chosen, batch_size=4))

    handled = frozenset().union(*(p.topics for p in chosen))
    logged = Counter(str(e.topic) for e in container.events.read_entries(0, 100_000))
    assert seen == Counter({t: n for t, n in logged.items() if t in handled})
    assert [p.dump() for p in chosen] == before

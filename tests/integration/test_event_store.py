"""The event store on SQLite and PostgreSQL: atomic appends, one global order, optimistic
concurrency, msgspec serialisation and upcasting of old event shapes."""

from __future__ import annotations

import threading
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from application.writer import Writer
from domain.errors import Conflict
from infrastructure.event_store import EventStore


class Gadget(Aggregate):
    class GadgetMade(Aggregate.Created):
        name: str
        tags: list[str]

    @event(GadgetMade)
    def __init__(self, name: str, tags: list[str]) -> None:
        self.name = name
        self.tags = tags
        self.renames = 0

    class GadgetRenamed(Aggregate.Event):
        name: str

    @event(GadgetRenamed)
    def rename(self, name: str) -> None:
        self.name = name
        self.renames += 1


@pytest.fixture
def store(settings: Any) -> Any:
    s = EventStore(settings)
    yield s
    s.close()


def test_appends_are_atomic_and_globally_ordered(store: EventStore) -> None:
    a, b = Gadget(name="a", tags=["x"]), Gadget(name="b", tags=[])
    a.rename(name="a2")
    last = store.save(a, b)
    logged = store.read(after=0)
    assert [e.position for e in logged] == list(range(1, last + 1))
    assert [e.name for e in logged] == ["GadgetMade", "GadgetRenamed", "GadgetMade"]
    assert store.read(after=1, limit=1)[0].position == 2


def test_events_round_trip_through_msgspec_with_types_restored(store: EventStore) -> None:
    gadget = Gadget(name="widget", tags=["a", "b"])
    store.save(gadget)
    loaded = store.get(gadget.id, Gadget)
    assert loaded is not None
    assert (loaded.name, loaded.tags) == ("widget", ["a", "b"])
    made = store.read(after=0)[0].event
    assert made.timestamp.tzinfo is not None  # type: ignore[attr-defined]
    assert made.originator_id == gadget.id


def test_a_concurrent_save_of_the_same_aggregate_conflicts(store: EventStore) -> None:
    gadget = Gadget(name="g", tags=[])
    store.save(gadget)
    first, second = store.get(gadget.id, Gadget), store.get(gadget.id, Gadget)
    assert first is not None and second is not None
    first.rename(name="first")
    second.rename(name="second")
    store.save(first)
    with pytest.raises(IntegrityError):
        store.save(second)
    assert store.get(gadget.id, Gadget).name == "first"  # type: ignore[union-attr]


class _NoWait:
    def wait(self, position: int, names: Any, timeout: float) -> bool:
        return True


def test_writer_retries_conflicts_and_answers_conflict_when_they_persist(store: EventStore) -> None:
    gadget = Gadget(name="g", tags=[])
    store.save(gadget)
    writer = Writer(store, _NoWait(), 1.0)
    barrier = threading.Barrier(4)

    def rename(n: int) -> None:
        barrier.wait()

        def attempt() -> None:
            g = store.get(gadget.id, Gadget)
            assert g is not None
            g.rename(name=f"n{n}")
            writer.save(g)

        writer.retrying(attempt, attempts=50)

    threads = [threading.Thread(target=rename, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get(gadget.id, Gadget).renames == 4  # type: ignore[union-attr]

    def always_conflicts() -> None:
        raise IntegrityError("simulated lost race")

    with pytest.raises(Conflict):
        writer.retrying(always_conflicts, attempts=3)


def test_old_event_shapes_are_upcast_when_read(store: EventStore, monkeypatch: pytest.MonkeyPatch) -> None:
    gadget = Gadget(name="old", tags=[])
    gadget.rename(name="older")
    store.save(gadget)

    # A later release adds `reason` to GadgetRenamed (class_version 2) with an upcaster.
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["reason"] = "unknown (recorded before v2)"

    monkeypatch.setattr(Gadget.GadgetRenamed, "class_version", 2, raising=False)
    monkeypatch.setattr(Gadget.GadgetRenamed, "upcast_v1_v2", staticmethod(upcast_v1_v2), raising=False)
    renamed = next(e for e in store.read(after=0) if e.name == "GadgetRenamed").event
    assert renamed.reason == "unknown (recorded before v2)"  # type: ignore[attr-defined]
    assert renamed.name == "older"  # type: ignore[attr-defined]



class Sprocket(Aggregate):
    class SprocketMade(Aggregate.Created):
        size: int

    class SprocketResized(Aggregate.Event):
        class_version = 2
        size: int
        reason: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            raise AssertionError("events recorded at v2 must not be upcast")

    @event(SprocketMade)
    def __init__(self, size: int) -> None:
        self.size = size

    @event(SprocketResized)
    def resize(self, size: int, reason: str) -> None:
        self.size = size


def test_new_events_carry_their_class_version_and_load_without_upcasting(store: EventStore) -> None:
    sprocket = Sprocket(size=1)
    sprocket.resize(size=2, reason="typo")
    store.save(sprocket)
    raw = store.read_raw(after=0)[-1]
    assert b'"class_version":2' in raw.state
    resized = store.read(after=0)[-1].event
    assert (resized.size, resized.reason) == (2, "typo")  # type: ignore[attr-defined]


def test_missing_aggregate_is_none(store: EventStore) -> None:
    assert store.get(uuid4(), Gadget) is None


def test_concurrent_saves_are_combined_yet_each_gets_its_own_position_and_conflict(
    store: EventStore,
) -> None:
    contested = Gadget(name="contested", tags=[])
    store.save(contested)
    results: dict[str, Any] = {}
    start = threading.Barrier(12)

    def fresh(n: int) -> None:
        gadget = Gadget(name=f"fresh{n}", tags=[])
        gadget.rename(name=f"fresh{n}-renamed")
        start.wait()
        results[f"fresh{n}"] = (gadget.id, store.save(gadget))

    def rename(n: int) -> None:
        copy = store.get(contested.id, Gadget)
        assert copy is not None
        copy.rename(name=f"by{n}")
        start.wait()
        try:
            results[f"rename{n}"] = store.save(copy)
        except IntegrityError as error:
            results[f"rename{n}"] = error

    threads = [threading.Thread(target=fresh, args=(n,)) for n in range(10)]
    threads += [threading.Thread(target=rename, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    outcomes = [results["rename0"], results["rename1"]]
    assert sum(isinstance(o, IntegrityError) for o in outcomes) == 1
    by_position = {e.position: e for e in store.read(after=0, limit=1000)}
    for n in range(10):
        gadget_id, position = results[f"fresh{n}"]
        # The position returned is that of the command's own last event.
        assert by_position[position].event.originator_id == gadget_id
        assert by_position[position].name == "GadgetRenamed"
    assert len(by_position) == 1 + 10 * 2 + 1


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_an_append_waits_for_an_earlier_uncommitted_append_so_ids_commit_in_order(
    store: EventStore, settings: Any
) -> None:
    """A follower that reads id N+1 must never miss N: our one-statement append takes the
    table lock, so it cannot commit past another process's append that is still open."""
    import psycopg
    from psycopg import sql

    from infrastructure.settings import PostgresDsn

    store.save(Gadget(name="first", tags=[]))
    dsn = PostgresDsn.parse(settings.database_url)
    table = sql.Identifier(dsn.schema, "eventlog_events")
    other = psycopg.connect(dsn.conninfo())  # another process, mid-append
    saved: list[int] = []
    try:
        other.execute(
            sql.SQL("INSERT INTO {} (originator_id, originator_version, topic, state)"
                    " VALUES (%s, 1, 'x', '\\x00')").format(table),
            (uuid4(),),
        )
        appender = threading.Thread(
            target=lambda: saved.append(store.save(Gadget(name="b", tags=[])))
        )
        appender.start()
        appender.join(timeout=0.5)
        blocked = appender.is_alive()
        other.commit()
        appender.join(timeout=10)
    finally:
        other.close()
    assert blocked, "the append committed while an earlier append was still open"
    assert saved == [3]
    assert [n.id for n in store.read_raw(after=0)] == [1, 2, 3]

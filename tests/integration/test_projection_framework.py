"""The projection framework: exactly-once application across failures and racing followers,
rebuilds from position 0, version bumps into fresh tables, and the read-your-writes wait."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from eventsourcing.domain import Aggregate, event

from api.bootstrap import Container
from infrastructure.event_store import EventStore, LoggedEvent
from infrastructure.read_store import Tx
from projections.engine.followers import Follower
from projections.engine.framework import (
    Projection,
    drop_older_versions,
    ensure_tracking,
    prepare,
    reset,
    saved_position,
)
from projections.engine.positions import PositionBoard


class Tally(Aggregate):
    class TallyOpened(Aggregate.Created):
        label: str

    @event(TallyOpened)
    def __init__(self, label: str) -> None:
        self.label = label


class TallyLog(Projection):
    """Appends one row per event: a duplicate application would show as an extra row."""

    name = "tally_log"
    version = 1
    tables = {"rows": "position BIGINT NOT NULL, label TEXT NOT NULL"}
    fail_at: int | None = None

    def handlers(self) -> dict[type, Any]:
        return {Tally.TallyOpened: self._opened}

    def _opened(self, tx: Tx, logged: LoggedEvent) -> None:
        if self.fail_at == logged.position:
            raise RuntimeError("simulated crash inside a batch")
        tx.execute(
            f"INSERT INTO {self.table('rows')} (position, label) VALUES (?, ?)",
            (logged.position, logged.event.label),  # type: ignore[attr-defined]
        )


class TallyLogV2(TallyLog):
    version = 2


@pytest.fixture
def parts(settings: Any) -> Any:
    c = Container.build(settings)  # stores only; no followers started
    ensure_tracking(c.read_store)
    yield c
    c.close()


def _rows(p: Projection) -> list[tuple[int, str]]:
    return [(r["position"], r["label"]) for r in p.store.fetchall(f"SELECT * FROM {p.table('rows')} ORDER BY position")]


def _open(events: EventStore, n: int) -> None:
    for i in range(n):
        events.save(Tally(label=f"t{i}"))


def test_a_failure_inside_a_batch_leaves_neither_rows_nor_position(parts: Any) -> None:
    projection = TallyLog(parts.read_store)
    _open(parts.events, 5)
    projection.fail_at = 3
    follower = Follower(projection, parts.events, batch_size=10)
    follower.start()
    with pytest.raises(RuntimeError):
        follower.catch_up()
    assert _rows(projection) == []
    assert saved_position(parts.read_store, projection) == 0
    projection.fail_at = None
    follower.catch_up()
    assert [p for p, _ in _rows(projection)] == [1, 2, 3, 4, 5]


def test_racing_followers_apply_each_event_exactly_once(parts: Any) -> None:
    _open(parts.events, 60)
    projection = TallyLog(parts.read_store)
    prepare(projection)
    followers = [Follower(TallyLog(parts.read_store), parts.events, batch_size=7) for _ in range(3)]
    for f in followers:
        f.start()
    threads = [threading.Thread(target=f.catch_up) for f in followers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [p for p, _ in _rows(projection)] == list(range(1, 61))


def test_reset_rebuilds_identical_rows_and_version_bump_builds_fresh_tables(parts: Any) -> None:
    _open(parts.events, 12)
    v1 = TallyLog(parts.read_store)
    follower = Follower(v1, parts.events)
    follower.start()
    follower.catch_up()
    before = v1.dump()
    reset(v1)
    assert _rows(v1) == []
    again = Follower(v1, parts.events)
    again.start()
    again.catch_up()
    assert v1.dump() == before

    v2 = TallyLogV2(parts.read_store)
    f2 = Follower(v2, parts.events)
    f2.start()
    assert saved_position(parts.read_store, v2) == 0
    f2.catch_up()
    assert v2.dump() == before
    drop_older_versions(v2)
    assert saved_position(parts.read_store, v1) is None


def test_the_board_waits_for_a_follower_in_another_thread(parts: Any) -> None:
    projection = TallyLog(parts.read_store)
    board = PositionBoard(parts.read_store)
    follower = Follower(projection, parts.events, board)
    follower.start()
    position = parts.events.save(Tally(label="late"))
    assert not board.wait(position, ["tally_log"], timeout=0.05)
    timer = threading.Timer(0.1, follower.catch_up)
    timer.start()
    started = time.monotonic()
    assert board.wait(position, ["tally_log"], timeout=10)
    assert time.monotonic() - started < 10
    timer.join()


def test_the_board_polls_the_tracking_table_for_followers_of_other_processes(parts: Any) -> None:
    projection = TallyLog(parts.read_store)
    follower = Follower(projection, parts.events)  # no board: stands for another process
    follower.start()
    position = parts.events.save(Tally(label="remote"))
    board = PositionBoard(parts.read_store)
    threading.Timer(0.1, follower.catch_up).start()
    assert board.wait(position, ["tally_log"], timeout=10)


def test_the_log_tail_serves_followers_from_memory_only_within_what_it_has_read(parts: Any) -> None:
    from projections.engine.log_tail import LogTail

    _open(parts.events, 3)
    tail = LogTail(parts.events, capacity=5, batch_size=2)
    tail.refresh()  # starts covering from the current head (3)
    assert tail.after(0, 10) is None  # before its start: the follower must read the store
    assert tail.after(3, 10) == []
    _open(parts.events, 4)
    assert tail.refresh() == 4
    assert [n.id for n in tail.after(3, 10)] == [4, 5, 6, 7]
    assert [n.id for n in tail.after(5, 1)] == [6]
    _open(parts.events, 3)
    tail.refresh()  # 7 entries read, capacity 5: the two oldest drop out
    assert tail.after(4, 10) is None
    assert [n.id for n in tail.after(5, 10)] == [6, 7, 8, 9, 10]

    # A follower fed by the tail ends with exactly the rows of one that reads the store.
    projection = TallyLog(parts.read_store)
    follower = Follower(projection, parts.events, batch_size=3)
    follower.tail = tail
    follower.start()
    follower.catch_up()
    assert [p for p, _ in _rows(projection)] == list(range(1, 11))


class TallyCopy(TallyLog):
    name = "tally_copy"


class GatedTally(TallyLog):
    """Blocks inside its handler until the gate opens: a read model that is slow to rebuild."""

    name = "tally_gated"
    gate = threading.Event()

    def _opened(self, tx: Tx, logged: LoggedEvent) -> None:
        self.gate.wait(10)
        super()._opened(tx, logged)


def _loop(parts: Any, *projections: Projection) -> tuple[Any, PositionBoard]:
    from projections.engine.follower_loop import FollowerLoop

    board = PositionBoard(parts.read_store)
    loop = FollowerLoop([Follower(p, parts.events, board) for p in projections], parts.events)
    return loop, board


def test_a_failing_read_model_does_not_hold_up_the_others_and_catches_up_once_fixed(parts: Any) -> None:
    failing, healthy = TallyLog(parts.read_store), TallyCopy(parts.read_store)
    loop, board = _loop(parts, failing, healthy)
    loop.start()
    try:
        _open(parts.events, 2)
        failing.fail_at = parts.events.last_position() + 2
        _open(parts.events, 3)
        last = parts.events.last_position()
        assert board.wait(last, ["tally_copy"], timeout=10)
        assert board.position("tally_log") < failing.fail_at
        failing.fail_at = None
        assert board.wait(last, ["tally_log"], timeout=10)
    finally:
        loop.stop()
    assert _rows(failing) == _rows(healthy)
    assert [p for p, _ in _rows(failing)] == list(range(1, last + 1))


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_read_model_far_behind_catches_up_alone_while_the_others_keep_up(parts: Any) -> None:
    """PostgreSQL only: SQLite has one writer at a time, so there a rebuild's batch in progress
    holds the others back for that batch (at most ``batch_size`` events), not for the rebuild."""
    _open(parts.events, 30)
    current, rebuilding = TallyLog(parts.read_store), GatedTally(parts.read_store)
    ahead = Follower(current, parts.events)
    ahead.start()
    ahead.catch_up()
    GatedTally.gate.clear()
    loop, board = _loop(parts, current, rebuilding)
    loop.LAG_LIMIT = 10  # type: ignore[misc]
    loop.start()
    try:
        position = parts.events.save(Tally(label="new"))
        assert board.wait(position, ["tally_log"], timeout=10)
        assert board.position("tally_gated") == 0  # still blocked in its first batch
        GatedTally.gate.set()
        assert board.wait(position, ["tally_gated"], timeout=20)
    finally:
        GatedTally.gate.set()
        loop.stop()
    assert _rows(rebuilding) == _rows(current)
    assert len(_rows(current)) == 31


def test_read_models_left_behind_together_catch_up_together(parts: Any) -> None:
    """A bulk append puts every read model far behind the head at once: they stay one group,
    each batch read and decoded once for all, instead of each catching up alone."""
    first, second = TallyLog(parts.read_store), TallyCopy(parts.read_store)
    loop, board = _loop(parts, first, second)
    loop.LAG_LIMIT = 10  # type: ignore[misc]
    loop.CATCH_UP_BATCH = 20  # type: ignore[misc]
    loop.start()
    try:
        position = parts.events.save(*[Tally(label=f"bulk {i}") for i in range(120)])
        assert board.wait(position, ["tally_log", "tally_copy"], timeout=20)
        assert not loop._solo  # no follower thread of its own was started
    finally:
        loop.stop()
    assert _rows(first) == _rows(second)
    assert [p for p, _ in _rows(first)] == list(range(1, position + 1))


def test_the_log_tail_takes_this_process_s_appends_without_reading_them_back(parts: Any) -> None:
    from projections.engine.log_tail import LogTail

    _open(parts.events, 2)
    tail = LogTail(parts.events)
    tail.refresh()
    recorded: list[Any] = []
    parts.events.add_recorded_listener(lambda entries: recorded.append(list(entries)))
    parts.events.save(Tally(label="mine"))
    assert tail.push(recorded[-1])
    assert [n.id for n in tail.after(2, 10)] == [3]
    assert tail.refresh() == 0  # nothing new, nothing doubled
    # An append the tail did not see (another process's, say) leaves a gap: a later push of
    # ours is refused and the store is read instead, in order.
    parts.events.save(Tally(label="theirs"))
    parts.events.save(Tally(label="mine again"))
    assert not tail.push(recorded[-1])
    assert tail.refresh() == 2
    assert [n.id for n in tail.after(2, 10)] == [3, 4, 5]
    assert [parts.events.decode(n).label for n in tail.after(2, 10)] == ["mine", "theirs", "mine again"]


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_an_append_notifies_listeners_with_the_last_position_it_wrote(parts: Any, settings: Any) -> None:
    import psycopg
    from psycopg import sql

    from infrastructure.settings import PostgresDsn

    channel = parts.events.channel_name
    with psycopg.connect(PostgresDsn.parse(settings.database_url).conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        position = parts.events.save(Tally(label="a"), Tally(label="b"))
        # The channel is named after the events table, which every schema names alike: a test
        # appending in another schema at the same moment is heard too.
        payloads = []
        for notification in conn.notifies(timeout=5):
            payloads.append(notification.payload)
            if notification.payload == str(position):
                break
    assert str(position) in payloads


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_growing_read_model_gets_fresh_planner_statistics(parts: Any) -> None:
    """Even where autovacuum is off or late, the planner learns how big a read model got."""
    projection = TallyLog(parts.read_store)
    loop, board = _loop(parts, projection)
    loop.start()
    try:
        for _ in range(6):
            parts.events.save(*[Tally(label="x") for _ in range(100)])
        assert board.wait(parts.events.last_position(), ["tally_log"], timeout=20)

        def estimated_rows() -> float:
            row = parts.read_store.fetchone(
                "SELECT reltuples FROM pg_class WHERE relname = ? AND relnamespace = to_regnamespace(?)",
                (projection.table("rows"), parts.read_store.schema),
            )
            return float(row["reltuples"])

        deadline = time.monotonic() + 20
        while estimated_rows() < 500 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert estimated_rows() >= 500
    finally:
        loop.stop()


def test_a_version_bump_drops_the_older_versions_extra_tables(parts: Any) -> None:
    """The search index keeps tables outside ``tables`` (FTS5 / match and vocab); once a newer
    version runs, the older version's go too, not only its plain tables."""
    from projections.search_index import SearchIndexProjection

    class NextSearch(SearchIndexProjection):
        version = SearchIndexProjection.version + 1

    store = parts.read_store
    old, new = SearchIndexProjection(store), NextSearch(store)
    if store.dialect == "sqlite":
        listing = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        listing = "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()"

    def tables_of(version: int) -> set[str]:
        prefix = f"search_v{version}_"
        return {r["name"] for r in store.fetchall(listing) if r["name"].startswith(prefix)}

    prepare(old)
    assert len(tables_of(old.version)) >= 3  # docs and at least two extra tables
    prepare(new)
    drop_older_versions(new)
    assert tables_of(old.version) == set()
    assert tables_of(new.version) >= {new.table("docs")}

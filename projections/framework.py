"""A small projection framework.

A projection has a name and a version, owns its tables (named ``{name}_v{version}_{table}``)
and handles some event classes. A ``Follower`` pulls the global log after the projection's
saved position and applies each batch in ONE read-store transaction that also moves the
position with a compare-and-set: a crash at any point neither loses nor doubles a row, and two
followers of the same projection can never both apply a batch.

Bumping ``version`` makes the next start build fresh tables from position 0; readers of the new
code read the new tables (and the write path's read-your-writes wait covers the catch-up).
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

from eventsourcing.utils import get_topic

from infrastructure.event_store import EventStore, LoggedEvent
from infrastructure.read_store import ReadStore, Tx

log = logging.getLogger("learnstream.projections")

Handler = Callable[[Tx, LoggedEvent], None]

TRACKING_DDL = (
    "CREATE TABLE IF NOT EXISTS projection_tracking ("
    " name TEXT NOT NULL, version INTEGER NOT NULL, position BIGINT NOT NULL,"
    " updated_at TEXT NOT NULL, PRIMARY KEY (name, version))"
)


class Projection:
    name: ClassVar[str]
    version: ClassVar[int] = 1
    #: logical table name → column definitions (portable SQL), plus optional extra DDL
    tables: ClassVar[dict[str, str]] = {}
    indexes: ClassVar[Sequence[str]] = ()  # "CREATE INDEX ... ON {table_name}" templates

    def __init__(self, store: ReadStore) -> None:
        self.store = store
        self._handlers: dict[str, Handler] = {
            get_topic(cls): handler for cls, handler in self.handlers().items()
        }

    # -- to implement -------------------------------------------------------------------
    def handlers(self) -> dict[type, Handler]:
        raise NotImplementedError

    def extra_ddl(self) -> Sequence[str]:
        """Dialect-specific DDL (e.g. a full-text index) run after the tables exist."""
        return ()

    def drop_extra(self, tx: Tx) -> None:
        """Drop what ``extra_ddl`` created that is not one of ``tables``."""

    # -- provided -----------------------------------------------------------------------
    @property
    def topics(self) -> frozenset[str]:
        return frozenset(self._handlers)

    def table(self, logical: str, version: int | None = None) -> str:
        return f"{self.name}_v{version or self.version}_{logical}"

    def create(self, tx: Tx) -> None:
        for logical, columns in self.tables.items():
            tx.execute(f"CREATE TABLE IF NOT EXISTS {self.table(logical)} ({columns})")
        names = {logical: self.table(logical) for logical in self.tables}
        for index in self.indexes:
            tx.execute(index.format(**names))
        for ddl in self.extra_ddl():
            tx.execute(ddl)

    def drop(self, tx: Tx, version: int | None = None) -> None:
        if version is None or version == self.version:
            self.drop_extra(tx)
        for logical in self.tables:
            tx.execute(f"DROP TABLE IF EXISTS {self.table(logical, version)}")

    def apply(self, tx: Tx, logged: LoggedEvent, topic: str) -> None:
        handler = self._handlers.get(topic)
        if handler is not None:
            handler(tx, logged)

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every row of every table, in a stable order (used to prove rebuilds identical)."""
        out: dict[str, list[dict[str, Any]]] = {}
        for logical in self.tables:
            rows = self.store.fetchall(f"SELECT * FROM {self.table(logical)}")
            out[logical] = sorted(rows, key=lambda r: repr(sorted(r.items())))
        return out


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _racing_ddl(step: Callable[[], None], done: Callable[[], bool], attempts: int = 5) -> None:
    """Run set-up that processes starting together may race on (two first ``prepare`` calls
    both see no tracking row; the second insert fails): the loser's transaction rolls back
    whole, and it retries unless ``done()`` says the winner's work is already there."""
    for attempt in range(attempts):
        try:
            step()
            return
        except Exception:
            if done():
                return
            if attempt == attempts - 1:
                raise
            time.sleep(0.1 * (attempt + 1))


def ensure_tracking(store: ReadStore) -> None:
    with store.transaction() as tx:
        tx.execute(TRACKING_DDL)


def saved_position(store: ReadStore, projection: Projection) -> int | None:
    row = store.fetchone(
        "SELECT position FROM projection_tracking WHERE name = ? AND version = ?",
        (projection.name, projection.version),
    )
    return None if row is None else int(row["position"])


def prepare(projection: Projection) -> None:
    """Create this version's tables (fresh, from position 0) if they are not tracked yet."""
    store = projection.store

    def tracked() -> bool:
        return saved_position(store, projection) is not None

    def create() -> None:
        with store.transaction() as tx:
            if tx.fetchone(
                "SELECT position FROM projection_tracking WHERE name = ? AND version = ?",
                (projection.name, projection.version),
            ):
                return
            projection.drop(tx)
            projection.create(tx)
            tx.execute(
                "INSERT INTO projection_tracking (name, version, position, updated_at)"
                " VALUES (?, ?, 0, ?)",
                (projection.name, projection.version, _now()),
            )

    if not tracked():
        _racing_ddl(create, tracked)


def reset(projection: Projection) -> None:
    """Drop this projection's tables and position: the next catch-up rebuilds from 0."""
    with projection.store.transaction() as tx:
        projection.drop(tx)
        tx.execute(
            "DELETE FROM projection_tracking WHERE name = ? AND version = ?",
            (projection.name, projection.version),
        )
    prepare(projection)


def drop_older_versions(projection: Projection) -> None:
    rows = projection.store.fetchall(
        "SELECT version FROM projection_tracking WHERE name = ? AND version < ?",
        (projection.name, projection.version),
    )
    if not rows:
        return
    with projection.store.transaction() as tx:
        for row in rows:
            projection.drop(tx, version=int(row["version"]))
            tx.execute(
                "DELETE FROM projection_tracking WHERE name = ? AND version = ?",
                (projection.name, int(row["version"])),
            )


class PositionBoard:
    """Where each projection stands, for the write path's read-your-writes wait.

    Followers in this process publish their positions here; for projections followed by
    another process the board polls the tracking table.
    """

    def __init__(self, store: ReadStore) -> None:
        self._store = store
        self._positions: dict[str, int] = {}
        self._local: set[str] = set()
        self._cond = threading.Condition()

    def publish(self, name: str, position: int) -> None:
        with self._cond:
            self._local.add(name)
            if position > self._positions.get(name, -1):
                self._positions[name] = position
            self._cond.notify_all()

    def position(self, name: str) -> int:
        if name in self._local:
            return self._positions.get(name, 0)
        row = self._store.fetchone(
            "SELECT MAX(position) AS position FROM projection_tracking WHERE name = ?", (name,)
        )
        return int(row["position"]) if row and row["position"] is not None else 0

    def wait(self, position: int, names: Iterable[str], timeout: float) -> bool:
        """Block until every named projection has applied ``position`` (True) or time runs out."""
        deadline = time.monotonic() + timeout
        pending = [n for n in names]
        delay = 0.001
        while pending:
            pending = [n for n in pending if self.position(n) < position]
            if not pending:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if all(n in self._local for n in pending):
                with self._cond:
                    self._cond.wait(min(remaining, 0.25))
            else:
                time.sleep(min(delay, remaining))
                delay = min(delay * 2, 0.02)
        return True


class LogTail:
    """The log's recent entries, read ONCE per wake-up for every follower of this process.

    Without it, each of a dozen followers queries the log after every append; with it, one
    reader does, and followers take their slice from memory. The tail knows every entry with
    a position in ``(start, head]``; a follower outside that range (rebuilding from 0, say)
    reads the store itself. Positions are handed out in commit order (PostgreSQL appends hold a
    table lock; SQLite has one writer), so reading after ``head`` never skips an entry.
    """

    def __init__(self, events: EventStore, capacity: int = 20_000, batch_size: int = 1_000):
        self._events = events
        self._capacity = capacity
        self._batch_size = batch_size
        self._lock = threading.Lock()
        self._reading = threading.Lock()
        self._items: list[Any] = []
        self._ids: list[int] = []
        self._start: int | None = None
        self._head = 0

    def refresh(self) -> int:
        """Read what was appended since the last refresh; returns how many entries arrived."""
        with self._reading:
            if self._start is None:
                self._start = self._head = self._events.last_position()
                return 0
            new: list[Any] = []
            while True:
                chunk = self._events.read_raw(self._head, self._batch_size)
                if not chunk:
                    break
                new.extend(chunk)
                self._head = chunk[-1].id
                if len(chunk) < self._batch_size:
                    break
            if new:
                with self._lock:
                    self._items.extend(new)
                    self._ids.extend(n.id for n in new)
                    overflow = len(self._items) - self._capacity
                    if overflow > 0:
                        self._start = self._ids[overflow - 1]
                        del self._items[:overflow]
                        del self._ids[:overflow]
            return len(new)

    def after(self, position: int, limit: int) -> list[Any] | None:
        """Entries after ``position`` (at most ``limit``), or None if the tail cannot tell."""
        with self._lock:
            if self._start is None or not self._start <= position <= self._head:
                return None
            index = bisect.bisect_right(self._ids, position)
            return self._items[index : index + limit]


class Follower:
    """Pulls the global log and applies it to one projection, batch by batch."""

    def __init__(
        self,
        projection: Projection,
        events: EventStore,
        board: PositionBoard | None = None,
        batch_size: int = 500,
    ) -> None:
        self.projection = projection
        self.events = events
        self.board = board
        self.batch_size = batch_size
        self.tail: LogTail | None = None  # set by FollowerLoop: entries read once per process
        self.position = 0
        self._persisted = 0  # the position as saved in the tracking table
        self._persisted_at = 0.0

    def start(self) -> None:
        prepare(self.projection)
        self.position = self._persisted = saved_position(self.projection.store, self.projection) or 0
        self._persisted_at = time.monotonic()
        self._publish()

    def _publish(self) -> None:
        if self.board is not None:
            self.board.publish(self.projection.name, self.position)

    #: how long an advance over events this projection ignores may stay unsaved
    PERSIST_IDLE_SECONDS = 0.5

    def run_once(self) -> int:
        """Apply the next batch; returns how many log entries it moved past."""
        cached = self.tail.after(self.position, self.batch_size) if self.tail else None
        notifications = (
            cached if cached is not None else self.events.read_raw(self.position, self.batch_size)
        )
        if not notifications:
            if time.monotonic() - self._persisted_at >= self.PERSIST_IDLE_SECONDS:
                self.flush()  # idle: save an in-memory advance, at most every half second
            return 0
        projection = self.projection
        topics = projection.topics
        last = notifications[-1].id
        relevant = [n for n in notifications if n.topic in topics]
        if not relevant and time.monotonic() - self._persisted_at < self.PERSIST_IDLE_SECONDS:
            # Nothing to write: move on in memory and save the position later, so a projection
            # does not pay a commit for every batch of other projections' events.
            self.position = last
            self._publish()
            return len(notifications)
        self._commit(last, relevant)
        return len(notifications)

    def flush(self) -> None:
        """Save an in-memory advance over ignored events (no rows change)."""
        if self.position != self._persisted:
            self._commit(self.position, [])

    def _commit(self, last: int, relevant: Sequence[Any]) -> None:
        projection = self.projection
        with projection.store.transaction() as tx:
            for n in relevant:
                projection.apply(tx, LoggedEvent(n.id, self.events.decode(n)), n.topic)
            moved = tx.execute(
                "UPDATE projection_tracking SET position = ?, updated_at = ?"
                " WHERE name = ? AND version = ? AND position = ?",
                (last, _now(), projection.name, projection.version, self._persisted),
            )
            if moved != 1:
                raise _LostRace()
        self.position = self._persisted = last
        self._persisted_at = time.monotonic()
        self._publish()

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        total = 0
        while True:
            try:
                n = self.run_once()
            except _LostRace:
                # Another follower moved the position: continue from where it is now.
                self.position = self._persisted = (
                    saved_position(self.projection.store, self.projection) or 0
                )
                continue
            if n == 0:
                return total
            total += n
            if progress is not None:
                progress(self.position)


class _LostRace(Exception):
    """Another follower advanced this projection first; our batch was rolled back."""


class FollowerLoop:
    """Runs each follower in its own thread, woken on every append (or every ``idle_wait``).

    One thread per projection keeps a slow read model (say, the search index) from delaying
    the read-your-writes wait of the others.
    """

    def __init__(
        self,
        followers: list[Follower],
        events: EventStore,
        idle_wait: float = 1.0,
        lock_for: Callable[[str], Any] | None = None,
    ):
        self.followers = followers
        self.events = events
        self.idle_wait = idle_wait
        # With several processes (PostgreSQL), a follower runs only while it holds its
        # projection's advisory lock; the position compare-and-set stays the safety net.
        self._locks = {f.projection.name: lock_for(f.projection.name) for f in followers} if lock_for else {}
        self._held: set[str] = set()
        self._wakes = {f.projection.name: threading.Event() for f in followers}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.tail = LogTail(events)
        self._read = threading.Event()
        events.add_listener(lambda _position: self.wake())

    def wake(self) -> None:
        """Something was appended (here or, via LISTEN, elsewhere): read it, then dispatch."""
        self._read.set()

    def _wake_followers(self) -> None:
        for event in self._wakes.values():
            event.set()

    def _read_log(self) -> None:
        while not self._stop.is_set():
            self._read.wait(self.idle_wait)
            self._read.clear()
            try:
                if self.tail.refresh():
                    self._wake_followers()
            except Exception:
                log.exception("reading the log failed")
                self._stop.wait(0.5)

    def start(self) -> None:
        self.tail.refresh()
        for follower in self.followers:
            follower.tail = self.tail
            follower.start()
        reader = threading.Thread(target=self._read_log, name="log-reader", daemon=True)
        reader.start()
        self._threads.append(reader)
        for follower in self.followers:
            thread = threading.Thread(
                target=self._run, args=(follower,), name=f"follow-{follower.projection.name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def _run(self, follower: Follower) -> None:
        wake = self._wakes[follower.projection.name]
        while not self._stop.is_set():
            wake.clear()
            busy = False
            if self._holds(follower):
                try:
                    busy = follower.catch_up() > 0
                except Exception:
                    log.exception("projection %s failed", follower.projection.name)
                    self._stop.wait(0.5)
            if not busy:
                wake.wait(self.idle_wait)

    def _holds(self, follower: Follower) -> bool:
        name = follower.projection.name
        lock = self._locks.get(name)
        if lock is None:
            return True
        if name in self._held:
            if lock.held():
                return True
            self._held.discard(name)  # the lock's session was lost: win it again first
        try:
            if lock.try_acquire():
                self._held.add(name)
                # Another process may have moved the position while we waited.
                follower.start()
                return True
        except Exception:
            log.warning("advisory lock for %s unavailable", name, exc_info=True)
        return False

    def stop(self) -> None:
        self._stop.set()
        self.wake()
        self._wake_followers()
        for thread in self._threads:
            thread.join(timeout=10)
        for lock in self._locks.values():
            try:
                lock.release()
            except Exception:
                log.debug("releasing lock failed", exc_info=True)

"""A small projection framework.

A projection has a name and a version, owns its tables (named ``{name}_v{version}_{table}``)
and handles some event classes; its position in the log lives in ``projection_tracking``.
``projections.engine.followers`` moves projections along the log, ``projections.engine.positions`` tells the
write path where they stand.

Bumping ``version`` makes the next start build fresh tables from position 0; readers of the new
code read the new tables (and the write path's read-your-writes wait covers the catch-up).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from eventsourcing.utils import get_topic

from infrastructure.event_store import LoggedEvent
from infrastructure.read_store import ReadStore, Tx
from projections.engine.table_shapes import TableShape, is_index, parse_columns, parse_create
from projections.engine.writes import Writes

#: handlers receive a ``Writes``: a ``Tx`` whose row operations are written in bulk per batch
Handler = Callable[[Writes, LoggedEvent], None]

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
    #: tables whose rows are not derived from the log alone (an outbox, an attempt log): a
    #: rebuild leaves them in place and its handlers do not write them for events before
    #: ``quiet_until`` (see ``replaying``)
    kept_tables: ClassVar[frozenset[str]] = frozenset()
    #: logical table → the columns its rows are addressed by in ``Writes`` (default: the key
    #: its DDL declares)
    buffer_keys: ClassVar[dict[str, tuple[str, ...]]] = {}
    #: Python work per handled event, relative to a handler that writes one plain row:
    #: ``learnstream replay --jobs`` shares read models out over processes by it (measured
    #: with ``bench/bench_replay.py``, phase ``each``)
    rebuild_cost: ClassVar[float] = 1.0
    #: set on an instance that builds fresh tables beside the live ones (``rebuild_clone``)
    build_tag: ClassVar[str] = ""
    _init_args: tuple[tuple[Any, ...], dict[str, Any]]

    def __new__(cls, *args: Any, **kwargs: Any) -> Projection:
        self = super().__new__(cls)
        # Kept so the rebuild engine can make a twin that writes fresh tables, whatever
        # the subclass's constructor takes.
        self._init_args = (args, kwargs)
        return self

    def __init__(self, store: ReadStore) -> None:
        self.store = store
        #: events up to this position already had their effects outside the derived tables
        self.quiet_until = 0
        self._shapes: dict[str, TableShape] | None = None
        self._handlers: dict[str, Handler] = {
            get_topic(cls): handler for cls, handler in self.handlers().items()
        }

    # -- to implement -------------------------------------------------------------------
    def handlers(self) -> dict[type, Handler]:
        raise NotImplementedError

    def extra_ddl(self) -> Sequence[str]:
        """Dialect-specific DDL (e.g. a full-text index) run after the tables exist."""
        return ()

    def drop_extra(self, tx: Tx, version: int) -> None:
        """Drop what ``extra_ddl`` created for ``version`` that is not one of ``tables``."""

    def resumed(self) -> None:
        """Called when a follower takes this projection's position from the tracking table
        (start, or after another process moved it): forget anything remembered in memory."""

    def rolled_back(self) -> None:
        """Called when a batch this projection was part of rolled back: forget anything that
        was remembered from inside that transaction."""

    def before_commit(self, tx: Writes) -> None:
        """Called at the end of each batch's transaction in which this projection applied
        events: a place to write what it gathered over the batch, in one statement."""

    def committed(self) -> None:
        """Called after a batch that this projection handled events of was committed (not
        called when the batch rolled back). A place to tell others that new rows exist."""

    def analyzed_tables(self) -> list[str]:
        """The tables whose planner statistics are kept fresh (``PlannerStatistics``)."""
        return [self.table(t) for t in self.tables]

    # -- provided -----------------------------------------------------------------------
    @property
    def topics(self) -> frozenset[str]:
        return frozenset(self._handlers)

    def table(self, logical: str, version: int | None = None) -> str:
        name = f"{self.name}_v{version or self.version}_{logical}"
        if self.build_tag and version is None and logical not in self.kept_tables:
            return f"{name}__{self.build_tag}"
        return name

    def replaying(self, logged: LoggedEvent) -> bool:
        """True while a rebuild applies an event whose effects outside the derived tables
        (deliveries queued, work handed out) already happened when it was first applied."""
        return logged.position <= self.quiet_until

    def table_ddl(self) -> list[str]:
        """The statements that create this projection's tables (indexes excluded)."""
        plain = [
            f"CREATE TABLE IF NOT EXISTS {self.table(logical)} ({columns})"
            for logical, columns in self.tables.items()
        ]
        return plain + [d for d in self.extra_ddl() if not is_index(d)]

    def index_ddl(self) -> list[str]:
        """The statements that create this projection's secondary indexes."""
        names = {logical: self.table(logical) for logical in self.tables}
        return [i.format(**names) for i in self.indexes] + [d for d in self.extra_ddl() if is_index(d)]

    def create(self, tx: Tx, indexes: bool = True) -> None:
        for ddl in self.table_ddl():
            tx.execute(ddl)
        if indexes:
            for ddl in self.index_ddl():
                tx.execute(ddl)

    def shapes(self) -> dict[str, TableShape]:
        """Each table's columns and row key, by physical name (for ``Writes``)."""
        if self._shapes is None:
            shapes = {self.table(t): parse_columns(self.table(t), cols) for t, cols in self.tables.items()}
            for ddl in self.extra_ddl():
                shape = parse_create(ddl)
                if shape is not None:
                    shapes[shape.name] = shape
            for logical, key in self.buffer_keys.items():
                shapes[self.table(logical)].key = key
            self._shapes = shapes
        return self._shapes

    def derived_tables(self) -> list[str]:
        """Physical names of the tables a rebuild fills afresh (all but ``kept_tables``)."""
        kept = {self.table(t) for t in self.kept_tables}
        return [s.name for s in self.shapes().values() if s.name not in kept]

    def shape_signature(self) -> str:
        """Equal for two versions whose tables and indexes are declared alike: the newer
        version's queries can read the older version's tables (see ``rebuild_state``)."""
        prefix = f"{self.name}_v{self.version}_"
        text = "\n".join(self.table_ddl() + self.index_ddl()).replace(prefix, f"{self.name}_v?_")
        if self.build_tag:
            text = text.replace(f"__{self.build_tag}", "")
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def rebuild_clone(self, tag: str) -> Projection:
        """A twin of this projection (same class and constructor arguments) whose derived
        tables are named with ``tag``: a rebuild fills them beside the live ones."""
        cls = type(self)
        twin = type(cls.__name__, (cls,), {"build_tag": tag, "__module__": cls.__module__})
        args, kwargs = self._init_args
        clone: Projection = twin(*args, **kwargs)
        return clone

    def drop(self, tx: Tx, version: int | None = None) -> None:
        self.drop_extra(tx, version or self.version)
        for logical in self.tables:
            tx.execute(f"DROP TABLE IF EXISTS {self.table(logical, version)}")

    def apply(self, tx: Writes, logged: LoggedEvent, topic: str) -> None:
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


def now_iso() -> str:
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


#: rebuilds in progress (``projections.engine.rebuild_state``)
REBUILDS_DDL = (
    "CREATE TABLE IF NOT EXISTS projection_rebuilds ("
    " name TEXT NOT NULL, version INTEGER NOT NULL, tag TEXT NOT NULL, kind TEXT NOT NULL,"
    " position BIGINT NOT NULL, quiet_until BIGINT NOT NULL, started_at TEXT NOT NULL,"
    " PRIMARY KEY (name, version))"
)
#: each built version's ``shape_signature``
SHAPES_DDL = (
    "CREATE TABLE IF NOT EXISTS projection_shapes ("
    " name TEXT NOT NULL, version INTEGER NOT NULL, shape TEXT NOT NULL, PRIMARY KEY (name, version))"
)


def ensure_tracking(store: ReadStore) -> None:
    with store.transaction() as tx:
        tx.execute(TRACKING_DDL)
        tx.execute(REBUILDS_DDL)
        tx.execute(SHAPES_DDL)


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
                (projection.name, projection.version, now_iso()),
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

"""The event store: eventsourcing's persistence (SQLite file or PostgreSQL) behind one small facade.

Everything that touches the events table goes through eventsourcing's recorder interface, so the
log could move to another persistence module without changing the callers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import IntegrityError, Mapper, Notification, PersistenceError
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.rows import tuple_row

from infrastructure.append_writer import AppendWriter, Batch
from infrastructure.event_metadata import stamp
from infrastructure.msgspec_mapper import MsgspecMapper, PersonalFields
from infrastructure.personal_data_codec import PersonalDataCodec
from infrastructure.personal_keys import PersonalKeys
from infrastructure.settings import PostgresDsn, Settings
from infrastructure.sqlite_writers import SqliteWriters
from infrastructure.uuid_text import uuid_text

A = TypeVar("A", bound=Aggregate)
log = logging.getLogger("learnstream.events")

__all__ = ["AggregateNotFoundError", "EventStore", "IntegrityError", "LoggedEvent"]


class _EventLog(Application[UUID]):
    name = "EventLog"

    def __init__(self, env: dict[str, str], personal_fields: PersonalFields | None = None) -> None:
        self._personal_fields = personal_fields
        super().__init__(env=env)

    def construct_mapper(self) -> Mapper[UUID]:
        return MsgspecMapper(self._personal_fields)


def _as_uuid(text: Any) -> UUID:
    return msgspec.convert(str(text), UUID) if len(str(text)) == 36 else UUID(str(text))


class LogEntry:
    """A log entry as stored (what ``Notification`` holds), without the library's per-entry
    costs; ``EventStore.decode`` takes it."""

    __slots__ = ("id", "originator_id", "originator_version", "state", "topic")

    def __init__(self, id: int, originator_id: Any, originator_version: int, topic: str, state: bytes) -> None:
        self.id = id
        # A UUID, as the library's entries hold it (SQLite stores it as text, hex or dashed):
        # personal fields are sealed for the person it names, in its canonical form.
        self.originator_id = originator_id if isinstance(originator_id, UUID) else _as_uuid(originator_id)
        self.originator_version = originator_version
        self.topic = topic
        self.state = state if isinstance(state, bytes) else bytes(state)


class LoggedEvent:
    """A domain event with its position in the global log, and the entry it was decoded from
    when the reader had it (a projection that hashes stored bytes need not read them again).

    ``LoggedEvent.stored_entry`` decodes the event when a handler first asks for it: a
    projection that reads only the stored entry (the audit chain) costs no typed decoding,
    and the projections of one batch share one."""

    __slots__ = ("_decode", "_event", "_oid", "position", "stored")

    def __init__(self, position: int, event: DomainEventProtocol[UUID] | None, stored: Any = None) -> None:
        self.position = position
        self._event = event
        self.stored = stored
        self._oid: str | None = None
        self._decode: Any = None

    @classmethod
    def stored_entry(cls, entry: Any, decode: Callable[[Any], DomainEventProtocol[UUID]]) -> LoggedEvent:
        """The entry at its position, its event decoded by ``decode(entry)`` on first use."""
        logged = cls(entry.id, None, entry)
        logged._decode = decode
        return logged

    @property
    def event(self) -> DomainEventProtocol[UUID]:
        event = self._event
        if event is None:
            event = self._event = self._decode(self.stored)
        return event

    @property
    def oid(self) -> str:
        """The originator's id as text, made once (every projection of a batch asks for it)."""
        text = self._oid
        if text is None:
            source = self.stored if self._event is None else self._event
            text = self._oid = uuid_text(source.originator_id)
        return text

    @property
    def name(self) -> str:
        return type(self.event).__name__


def event_store_env(settings: Settings) -> dict[str, str]:
    return _store_env(settings)


def _store_env(settings: Settings) -> dict[str, str]:
    if settings.uses_postgres:
        dsn = PostgresDsn.parse(settings.database_url)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": dsn.dbname,
            "POSTGRES_HOST": dsn.host,
            "POSTGRES_PORT": str(dsn.port),
            "POSTGRES_USER": dsn.user,
            "POSTGRES_PASSWORD": dsn.password,
            "POSTGRES_SCHEMA": dsn.schema,
            "POSTGRES_POOL_SIZE": "8",
            "POSTGRES_MAX_OVERFLOW": "8",
            "POSTGRES_CONNECT_TIMEOUT": "5",
            "POSTGRES_LOCK_TIMEOUT": "10",
            # One round trip per append, table lock included (see pg_event_recorder).
            "APPLICATION_RECORDER_TOPIC": "infrastructure.pg_event_recorder:OrderedPostgresRecorder",
            "CREATE_TABLE": "y",
        }
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(settings.data_dir / "events.sqlite3"),
        "SQLITE_LOCK_TIMEOUT": "10",
        "CREATE_TABLE": "y",
    }


def _replay(aggregate: Any, events: Any) -> Any:
    """The library's projector, without its per-event ``isinstance`` against a runtime
    Protocol (measured: a third of the cost of loading a 20-event aggregate)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def ensure_schema(dsn: PostgresDsn) -> None:
    """eventsourcing creates its tables but not the schema they live in."""
    import psycopg
    from psycopg import sql

    # Another process may create it at the same instant: IF NOT EXISTS is not atomic.
    with psycopg.connect(
        dsn.conninfo(), autocommit=True, connect_timeout=5
    ) as conn, contextlib.suppress(psycopg.errors.UniqueViolation):
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(dsn.schema)))


def _open_event_log(
    env: dict[str, str], personal_fields: PersonalFields | None = None, attempts: int = 5
) -> _EventLog:
    """Processes starting together on a fresh PostgreSQL database race to create the tables:
    ``CREATE TABLE IF NOT EXISTS`` is not atomic there, so the loser retries (and then finds
    them)."""
    for attempt in range(attempts):
        try:
            return _EventLog(env, personal_fields)
        except PersistenceError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.1 * (attempt + 1))
    raise AssertionError("unreachable")


class EventStore:
    """Append aggregates' pending events atomically; read the global log in order."""

    def __init__(self, settings: Settings) -> None:
        if settings.uses_postgres:
            ensure_schema(PostgresDsn.parse(settings.database_url))
        env = event_store_env(settings)
        #: per-person keys of the personal fields in events (kept beside the log, not in it)
        self.personal_data = PersonalDataCodec(
            PersonalKeys.for_settings(settings, Path(env.get("SQLITE_DBNAME", "")))
        )
        self._app = _open_event_log(env, self.personal_data)
        self._listeners: list[Callable[[int], None]] = []
        self._recorded_listeners: list[Callable[[list[Notification]], None]] = []
        self._lock = threading.Lock()
        # The group's new people get their keys first, in one statement (personal_data_codec).
        database = env.get("SQLITE_DBNAME", "")
        self._writer = AppendWriter(
            self._app, self._appended, self.personal_data.prepare,
            SqliteWriters(database) if database and not settings.uses_postgres else None,
        )

    @property
    def channel_name(self) -> str | None:
        """PostgreSQL NOTIFY channel raised on every append (None on SQLite)."""
        return getattr(self._app.recorder, "channel_name", None)

    def add_listener(self, listener: Callable[[int], None]) -> None:
        """Called in-process with the last position after every successful append."""
        with self._lock:
            self._listeners.append(listener)

    def add_recorded_listener(self, listener: Callable[[list[Notification]], None]) -> None:
        """Called in-process with what an append recorded (in log order), before its callers
        return: the log entries themselves, as the log would give them back."""
        with self._lock:
            self._recorded_listeners.append(listener)

    def _appended(self, recorded: list[Notification]) -> None:
        for on_recorded in list(self._recorded_listeners):
            on_recorded(recorded)
        position = recorded[-1].id
        for listener in list(self._listeners):
            listener(position)

    @staticmethod
    def _pending(aggregates: tuple[Aggregate | None, ...]) -> list[DomainEventProtocol[UUID]]:
        events: list[DomainEventProtocol[UUID]] = [
            e for a in aggregates if a is not None for e in a.collect_events()
        ]
        stamp(events)  # here, in the caller's context: the writer thread has none
        return events

    def save(self, *aggregates: Aggregate | None) -> int:
        """Append every pending event of the given aggregates in one transaction.

        Returns the log position of the last event appended (0 if there was nothing to save).
        Raises ``IntegrityError`` when another writer got there first (optimistic concurrency).
        """
        events = self._pending(aggregates)
        if not events:
            return 0
        batch = Batch(events)
        self._writer.submit(batch)
        batch.done.wait()
        if batch.error is not None:
            raise batch.error
        return batch.position

    async def save_async(self, *aggregates: Aggregate | None) -> int:
        """``save`` for an event loop: awaits the writer thread instead of blocking a thread."""
        events = self._pending(aggregates)
        if not events:
            return 0
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        self._writer.submit(Batch(events, loop, future))
        return await future

    def get(self, aggregate_id: UUID, cls: type[A], version: int | None = None) -> A | None:
        try:
            aggregate: Any = self._app.repository.get(
                aggregate_id, version=version, projector_func=_replay
            )
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, cls) else None

    def contains(self, aggregate_id: UUID) -> bool:
        return self._app.repository.__contains__(aggregate_id)

    def history(self, aggregate_id: UUID) -> list[DomainEventProtocol[UUID]]:
        return list(self._app.events.get(aggregate_id))

    def read(
        self, after: int, limit: int = 500, topics: Sequence[str] = ()
    ) -> list[LoggedEvent]:
        notifications: Sequence[Notification] = self._app.recorder.select_notifications(
            start=after, limit=limit, topics=topics, inclusive_of_start=False
        )
        self.personal_data.warm(notifications)
        mapper = self._app.mapper
        return [LoggedEvent(n.id, mapper.to_domain_event(n), n) for n in notifications]

    def read_raw(self, after: int, limit: int = 500) -> Sequence[Notification]:
        notifications = self._app.recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )
        self.personal_data.warm(notifications)  # the batch's keys in one query
        return notifications

    def read_entries(
        self, after: int, limit: int, topics: Sequence[str] = (), upto: int | None = None
    ) -> Sequence[Any]:
        """Entries after ``after`` (up to ``upto``) of these topics, read in bulk (rebuilds).

        The same entries as ``read_raw``, as plain rows: the library's notification objects
        (a dict per row, a frozen dataclass, a ``UUID`` parsed per entry) cost several times
        the read itself, and a rebuild reads the whole log. Other persistence modules go
        through the library's interface."""
        recorder = self._app.recorder
        table = getattr(recorder, "events_table_name", None)
        if table is None or not isinstance(recorder, PostgresApplicationRecorder | SQLiteApplicationRecorder):
            found = recorder.select_notifications(
                start=after, limit=limit, stop=upto, topics=list(topics), inclusive_of_start=False
            )
            self.personal_data.warm(found)
            return found
        # No upper bound in SQL: without statistics (autovacuum off or late) PostgreSQL
        # estimates a closed id range at 0.5% of the table and sorts the whole range for each
        # page (2.5 s a page at 250,000 entries, measured); the open range walks the index.
        if isinstance(recorder, PostgresApplicationRecorder):
            where = " AND topic = ANY(%s)" if topics else ""
            params: list[Any] = [after, *([list(topics)] if topics else []), limit]
            schema = recorder.datastore.schema
            with recorder.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
                cur.execute(
                    "SELECT notification_id, originator_id::text, originator_version, topic, state"
                    f' FROM "{schema}"."{table}" WHERE notification_id > %s{where}'
                    " ORDER BY notification_id LIMIT %s",
                    params,
                    prepare=True,
                )
                rows = cur.fetchall()
        else:
            assert isinstance(recorder, SQLiteApplicationRecorder)
            where = f" AND topic IN ({','.join('?' * len(topics))})" if topics else ""
            with recorder.datastore.transaction(commit=False) as c:
                c.execute(
                    "SELECT rowid, originator_id, originator_version, topic, state"
                    f" FROM {table} WHERE rowid > ?{where} ORDER BY rowid LIMIT ?",
                    [after, *topics, limit],
                )
                rows = c.fetchall()
        entries = [LogEntry(*row) for row in rows if upto is None or row[0] <= upto]
        self.personal_data.warm(entries)  # the batch's keys in one query
        return entries

    def decode(self, notification: Notification) -> DomainEventProtocol[UUID]:
        return self._app.mapper.to_domain_event(notification)

    def last_position(self) -> int:
        return self._app.recorder.max_notification_id() or 0

    def ping(self) -> bool:
        try:
            self.last_position()
        except Exception:
            return False
        return True

    def close(self) -> None:
        self._writer.close()
        self._app.close()
        self.personal_data.close()

    def raw_app(self) -> Any:
        return self._app

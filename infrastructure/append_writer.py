"""Group commit of appends: one writer thread writes every command queued while it was busy in
one transaction, and hands each caller its position or its own error."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import IntegrityError, Notification, PersistenceError

from infrastructure.sqlite_writers import SqliteWriters

log = logging.getLogger("learnstream.events")


class Batch:
    """One command's events, and how its caller learns the outcome."""

    __slots__ = ("done", "error", "events", "future", "loop", "position")

    def __init__(
        self,
        events: list[DomainEventProtocol[UUID]],
        loop: asyncio.AbstractEventLoop | None = None,
        future: asyncio.Future[int] | None = None,
    ) -> None:
        self.events = events
        self.done = threading.Event()
        self.position = 0
        self.error: BaseException | None = None
        self.loop = loop
        self.future = future


def _settle(outcomes: list[Batch]) -> None:
    """Runs on an event loop: hand each awaiting command its position or error."""
    for batch in outcomes:
        future = batch.future
        if future is None or future.done():  # cancelled: the write stands all the same
            continue
        if batch.error is not None:
            future.set_exception(batch.error)
        else:
            future.set_result(batch.position)


class AppendWriter:
    """Group commit by one writer thread: whatever commands queued up while it was writing are
    appended together in its next transaction, so N concurrent commands cost one lock and one
    fsync, not N. Callers wait on an event (threads) or a future (event loops); event-loop
    callers never tie up a thread while their append is written.

    If a combined write fails on a version conflict, each batch is written on its own so only
    the conflicting command sees ``IntegrityError`` (and its service retries it).
    """

    MAX_EVENTS = 500

    def __init__(
        self,
        app: Application[UUID],
        on_appended: Callable[[list[Notification]], None],
        before_put: Callable[[list[DomainEventProtocol[UUID]]], None],
        writers: SqliteWriters | None = None,
    ) -> None:
        self._app = app
        self._writers = writers
        self._on_appended = on_appended
        self._before_put = before_put
        self._cond = threading.Condition()
        self._queue: list[Batch] = []
        self._closed = False
        self._thread: threading.Thread | None = None

    def submit(self, batch: Batch) -> None:
        with self._cond:
            if self._closed:
                raise PersistenceError("the event store is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="appends", daemon=True)
                self._thread.start()
            self._queue.append(batch)
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return
                group: list[Batch] = []
                count = 0
                while self._queue and (not group or count + len(self._queue[0].events) <= self.MAX_EVENTS):
                    batch = self._queue.pop(0)
                    group.append(batch)
                    count += len(batch.events)
            recorded: list[Notification] = []
            self._write(group, recorded)
            self._finish(group, recorded)

    def _write(self, group: list[Batch], recorded: list[Notification]) -> None:
        try:
            if len(group) == 1:
                self._write_one(group[0], recorded)
                return
            recordings = self._put([e for b in group for e in b.events])
            by_event = {id(r.domain_event): r.notification.id for r in recordings}
            for batch in group:
                batch.position = max(by_event[id(e)] for e in batch.events)
            recorded.extend(r.notification for r in recordings)
        except IntegrityError:
            for batch in group:
                self._write_one(batch, recorded)
        except BaseException as error:
            for batch in group:
                batch.error = error

    def _write_one(self, batch: Batch, recorded: list[Notification]) -> None:
        try:
            recordings = self._put(batch.events)
            batch.position = max(r.notification.id for r in recordings)
            recorded.extend(r.notification for r in recordings)
        except BaseException as error:
            batch.error = error

    def _put(self, events: list[DomainEventProtocol[UUID]]) -> list[Any]:
        # The application's event store directly: ``Application.save`` would first check
        # every event against a runtime Protocol (slow) for snapshots and callbacks we do
        # not use.
        self._before_put(events)
        if self._writers is None:
            return self._app.events.put(events)
        with self._writers.held():
            return self._app.events.put(events)

    def _finish(self, group: list[Batch], recorded: list[Notification]) -> None:
        if recorded:
            recorded.sort(key=lambda n: n.id)
            try:
                self._on_appended(recorded)  # wake followers once per group, before anyone reads
            except Exception:
                log.exception("append listener failed")
        by_loop: dict[asyncio.AbstractEventLoop, list[Batch]] = {}
        for batch in group:
            if batch.loop is None:
                batch.done.set()
            else:
                by_loop.setdefault(batch.loop, []).append(batch)
        for loop, outcomes in by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop has closed: nobody waits
                loop.call_soon_threadsafe(_settle, outcomes)

"""Rebuilds a follower loop runs beside its live followers.

Two cases come up when a process starts following a projection (``rebuild_state.settle``):
a version bump that declares the same tables as the live older version (its rows keep serving,
as this version's, while this version is rebuilt beside them: ``adopted``), and a read model
with no version it could serve from (a bump that changed the tables, or a projection new to an
existing log: not served until built). Both are rebuilt here, in a thread of their own, with
the bulk engine; the switch waits for the group's batch in progress and reloads the follower
after it, so no reader ever sees the rows go backwards.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable

from infrastructure.event_store import EventStore
from projections.engine.framework import Projection
from projections.engine.rebuild import Interrupted, LoggedProgress, Rebuild
from projections.engine.rebuild_state import FOLLOWER, is_due

log = logging.getLogger("learnstream.rebuild")


class OnlineRebuilds:
    #: log entries per transaction: on SQLite a batch holds the one write lock while it writes
    BATCH = {"sqlite": 2_000, "postgres": 5_000}
    REPORT_EVERY = 10.0

    def __init__(
        self,
        events: EventStore,
        around_switch: Callable[[Projection], contextlib.AbstractContextManager[None]],
        stop: threading.Event,
    ) -> None:
        self._events = events
        self._around_switch = around_switch
        self._stop = stop
        self._due: list[Projection] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self.running: set[str] = set()

    def schedule(self, projection: Projection) -> None:
        with self._cond:
            if projection.name in self.running or projection in self._due:
                return
            self._due.append(projection)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="rebuild", daemon=True)
                self._thread.start()
            self._cond.notify()

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        delay = 0.0
        while not self._stop.is_set():
            with self._cond:
                if not self._due:
                    return
                batch, self._due = self._due, []
                self.running |= {p.name for p in batch}
            try:
                self._rebuild(batch)
                delay = 0.0
            except Interrupted:
                return
            except Exception:
                delay = min(max(delay * 2, 1.0), 60.0)
                log.exception("rebuilding %s failed; retrying in %.0fs", [p.name for p in batch], delay)
                with self._cond:
                    self._due = batch + self._due
                self._stop.wait(delay)
            finally:
                with self._cond:
                    self.running -= {p.name for p in batch}

    def _rebuild(self, scheduled: list[Projection]) -> None:
        # Scheduled twice (a follower begun again while its rebuild switched): once switched
        # in, a rebuild has nothing left to do and must not begin another.
        projections = [p for p in scheduled if is_due(p)]
        if not projections:
            return
        names = ", ".join(f"{p.name} v{p.version}" for p in projections)
        log.info("rebuilding %s beside the live read models", names)
        rebuild = Rebuild(
            self._events, projections, kind=FOLLOWER, stop=self._stop,
            batch_size=self.BATCH.get(projections[0].store.dialect, 5_000),
            progress=LoggedProgress(names, self.REPORT_EVERY), around_switch=self._around_switch,
        )
        rebuild.run()

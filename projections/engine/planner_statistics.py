"""Planner statistics of read models, kept fresh as followers fill them."""

from __future__ import annotations

import logging
import threading

from projections.engine.framework import Projection

log = logging.getLogger("learnstream.projections")


class PlannerStatistics:
    """Keeps the query planner's statistics of read models fresh as they grow.

    PostgreSQL plans from statistics that autovacuum refreshes, if it runs, and late: measured
    here, a search over 10,000 fresh courses took 33 ms by an index chosen on the estimate
    "8 rows", 9 ms after ANALYZE. A projection's tables are analysed after it applied 500
    events, then again each time it grew by a quarter, in a thread of their own (ANALYZE
    blocks neither reads nor writes).
    """

    FIRST_AFTER = 500
    GROWTH = 0.25

    def __init__(self) -> None:
        self._applied: dict[str, int] = {}
        self._at_last: dict[str, int] = {}
        self._due: list[Projection] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def note(self, projection: Projection, applied: int) -> None:
        name = projection.name
        total = self._applied[name] = self._applied.get(name, 0) + applied
        last = self._at_last.get(name, 0)
        if total - last < max(self.FIRST_AFTER, self.GROWTH * last):
            return
        self._at_last[name] = total
        with self._cond:
            if self._stopped:
                return
            if projection not in self._due:
                self._due.append(projection)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="analyze", daemon=True)
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._due and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                projection = self._due.pop(0)
            try:
                projection.store.analyze(projection.analyzed_tables())
            except Exception:
                log.warning("analyze of %s failed", projection.name, exc_info=True)

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()

"""Saving aggregates: optimistic concurrency with retries, then read-your-writes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from application.ports import EventLog, ReadModelBarrier
from domain.errors import Conflict

T = TypeVar("T")
log = logging.getLogger("learnstream.writer")


class Writer:
    def __init__(self, events: EventLog, barrier: ReadModelBarrier, timeout: float) -> None:
        self.events = events
        self._barrier = barrier
        self._timeout = timeout

    def save(self, *aggregates: Aggregate | None, read_models: Iterable[str] = ()) -> int:
        """Append atomically; ``IntegrityError`` on a concurrent change propagates."""
        position = self.events.save(*aggregates)
        self.settle(position, read_models)
        return position

    async def save_async(self, *aggregates: Aggregate | None, read_models: Iterable[str] = ()) -> int:
        """``save`` for an event loop: awaits the append and the read models, holds no thread."""
        position = await self.events.save_async(*aggregates)
        names = tuple(read_models)
        if position and names and not await self._barrier.wait_async(position, names, self._timeout):
            log.warning("read models %s did not reach %s in %.1fs", names, position, self._timeout)
        return position

    def caught_up(self, read_models: Iterable[str]) -> None:
        """Wait until ``read_models`` hold the log as it is now: a read that follows a write
        answered before its read models had it (a generation job's 202) still sees it."""
        self.settle(self.events.last_position(), read_models)

    async def caught_up_async(self, read_models: Iterable[str]) -> None:
        names = tuple(read_models)
        position = self.events.last_position()
        if position and names and not await self._barrier.wait_async(position, names, self._timeout):
            log.warning("read models %s did not reach %s in %.1fs", names, position, self._timeout)

    def settle(self, position: int, read_models: Iterable[str]) -> None:
        names = tuple(read_models)
        if position and names and not self._barrier.wait(position, names, self._timeout):
            log.warning("read models %s did not reach %s in %.1fs", names, position, self._timeout)

    def retrying(
        self,
        command: Callable[[], T],
        attempts: int = 5,
        conflict: str = "The resource was changed concurrently, please retry",
    ) -> T:
        """Run ``command`` (which loads, decides and saves) again when another writer won."""
        for _ in range(attempts):
            try:
                return command()
            except IntegrityError:
                continue
        raise Conflict(conflict)

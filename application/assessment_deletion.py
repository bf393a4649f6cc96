"""Deleting a session (``DELETE /api/user/assessments/{id}``): only its owner may.

The session's data key is destroyed first, so from the moment the request is answered the
answers' text (and the sealed report) in the log, the read models and the workflow's
checkpoint cannot be read by anyone: crypto-shredding, with the log left intact. Then
``AssessmentDeleted`` is recorded; every read model drops the session's rows on it (a replay
drops them again), and every route answers 404 for the session from then on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from application.assessment_reports import NOT_FOUND, NOT_YOURS, session_uuid
from application.ports import EventLog, ReadModelBarrier
from domain.assessment import DELETED, Assessment
from domain.errors import Forbidden, NotFound

READ_MODELS = ("assessments", "assessment_results")


class KeyShredder(Protocol):
    def destroy(self, session_id: str) -> bool: ...


class AssessmentDeletion:
    def __init__(
        self, *, events: EventLog, keys: KeyShredder, barrier: ReadModelBarrier,
        clock: Callable[[], float], read_timeout: float,
        forget: list[Callable[[str], Awaitable[None]]] | None = None,
    ) -> None:
        self._events = events
        self._keys = keys
        self._barrier = barrier
        self._clock = clock
        self._read_timeout = read_timeout
        #: what else holds the session (the workflow's checkpoint, caches): told afterwards
        self._forget = list(forget or [])

    async def delete(self, user_id: UUID, session_id: str) -> None:
        key = session_uuid(session_id)
        for attempt in range(3):
            agg = self._events.get(key, Assessment)
            if agg is None or agg.status == DELETED:
                raise NotFound(NOT_FOUND, code="SESSION_NOT_FOUND")
            if agg.user_id != str(user_id):
                raise Forbidden(NOT_YOURS, code="NOT_YOUR_SESSION")
            self._keys.destroy(str(key))
            agg.delete(datetime.fromtimestamp(self._clock(), tz=UTC))
            try:
                position = await self._events.save_async(agg)
                break
            except IntegrityError:
                if attempt == 2:
                    raise
                # A turn or a report was recorded meanwhile; the key is gone already.
        for forget in self._forget:
            await forget(str(key))
        await self._barrier.wait_async(position, READ_MODELS, self._read_timeout)

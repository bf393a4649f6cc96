"""A projection of one's own, as a user would write it, for ``learnstream replay --into``."""

from __future__ import annotations

import os
import time
from typing import Any

from domain.courses import Course
from infrastructure.event_store import LoggedEvent
from projections.engine.framework import Handler, Projection
from projections.engine.writes import Writes


class CourseNames(Projection):
    """Every course's current name; deleted courses gone."""

    name = "course_names"
    version = 1
    tables = {"names": "course_uuid TEXT PRIMARY KEY, name TEXT NOT NULL, renamed INTEGER NOT NULL"}

    def handlers(self) -> dict[type, Handler]:
        return {
            Course.CourseCreated: self._created,
            Course.CourseUpdated: self._updated,
            Course.CourseDeleted: self._deleted,
        }

    def _created(self, tx: Writes, logged: LoggedEvent) -> None:
        self.pause()
        e: Any = logged.event
        tx.insert(self.table("names"), {"course_uuid": str(e.originator_id), "name": e.name, "renamed": 0})

    def _updated(self, tx: Writes, logged: LoggedEvent) -> None:
        e: Any = logged.event
        if "name" in e.changes:
            tx.update(self.table("names"), {"course_uuid": str(e.originator_id)}, {"name": e.changes["name"], "renamed": 1})

    def _deleted(self, tx: Writes, logged: LoggedEvent) -> None:
        tx.delete(self.table("names"), {"course_uuid": str(logged.event.originator_id)})

    @staticmethod
    def pause() -> None:
        """A slow projection, when the test wants one (``COURSE_NAMES_PAUSE`` seconds per event)."""
        seconds = float(os.environ.get("COURSE_NAMES_PAUSE", "0"))
        if seconds:
            time.sleep(seconds)

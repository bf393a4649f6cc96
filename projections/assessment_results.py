"""Assessment results read model: recorded reports, learning materials and the materials queue.

A completed session gets a row here and a queue row (the materials pipeline claims it, as the
generation worker claims jobs); ``MaterialsReady`` removes the queue row. ``AssessmentDeleted``
removes every row of the session, and material or report events of a session without a row
(written after its deletion by a pipeline that was already running) are ignored, so a replay
of the log never brings a deleted session's results back.

Reports stay sealed here as in the log: the session's data key opens them, and destroying it
shreds both copies.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from domain.assessment import Assessment as A
from domain.study_materials import StudyMaterials as M
from infrastructure.event_store import LoggedEvent
from infrastructure.read_store import Tx
from projections.assessments import z
from projections.engine.framework import Handler, Projection
from projections.identity import oid


class AssessmentResultsProjection(Projection):
    name = "assessment_results"
    version = 1
    tables = {
        "sessions": (
            "session_id TEXT PRIMARY KEY, user_uuid TEXT NOT NULL, org_uuid TEXT,"
            " completed_at TEXT NOT NULL, materials_ready INTEGER NOT NULL,"
            " materials_ready_at TEXT"
        ),
        "reports": (
            "session_id TEXT PRIMARY KEY, user_uuid TEXT NOT NULL, sealed TEXT NOT NULL,"
            " writer TEXT NOT NULL, reported_at TEXT NOT NULL"
        ),
        "materials": (
            "session_id TEXT NOT NULL, concept_id TEXT NOT NULL, ord BIGINT NOT NULL,"
            " domain TEXT NOT NULL, bloom_score REAL NOT NULL, quality_score REAL NOT NULL,"
            " iteration_count INTEGER NOT NULL, quality_flag TEXT, material TEXT NOT NULL,"
            " generator TEXT NOT NULL, generated_at TEXT NOT NULL,"
            " PRIMARY KEY (session_id, concept_id)"
        ),
        "queue": (
            "session_id TEXT PRIMARY KEY, due_ms BIGINT NOT NULL, worker TEXT NOT NULL,"
            " attempts INTEGER NOT NULL"
        ),
    }
    indexes = ("CREATE INDEX IF NOT EXISTS {queue}_due ON {queue} (due_ms)",)

    def __init__(self, store: Any) -> None:
        super().__init__(store)
        self._queued = False
        self._on_work: list[Callable[[], None]] = []

    def on_work(self, listener: Callable[[], None]) -> None:
        """``listener()`` runs when this process follows the log here (on start) and after a
        batch that queued materials committed: the pipeline looks for work at once."""
        self._on_work.append(listener)

    def _tell(self) -> None:
        for listener in list(self._on_work):
            listener()

    def resumed(self) -> None:
        # Work queued before this process started (or while it was down) is taken up now.
        if self.store.fetchone(f"SELECT session_id FROM {self.table('queue')} LIMIT 1"):
            self._tell()

    def committed(self) -> None:
        if self._queued:
            self._queued = False
            self._tell()

    def rolled_back(self) -> None:
        self._queued = False

    def handlers(self) -> dict[type, Handler]:
        return {
            A.AssessmentCompleted: self._completed,
            A.AssessmentReported: self._reported,
            A.AssessmentDeleted: self._deleted,
            M.MaterialWritten: self._written,
            M.MaterialsReady: self._ready,
        }

    def _completed(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        sid = oid(logged)
        tx.execute(
            f"INSERT INTO {self.table('sessions')} (session_id, user_uuid, org_uuid, completed_at,"
            " materials_ready, materials_ready_at) VALUES (?, ?, ?, ?, 0, NULL)"
            " ON CONFLICT (session_id) DO NOTHING",
            (sid, e.user_id, e.org_id, z(logged)),
        )
        tx.execute(
            f"INSERT INTO {self.table('queue')} (session_id, due_ms, worker, attempts)"
            " VALUES (?, 0, '', 0) ON CONFLICT (session_id) DO NOTHING",
            (sid,),
        )
        self._queued = True

    def _reported(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        sid = oid(logged)
        tx.execute(
            f"INSERT INTO {self.table('reports')} (session_id, user_uuid, sealed, writer,"
            f" reported_at) SELECT session_id, user_uuid, ?, ?, ? FROM {self.table('sessions')}"
            " WHERE session_id = ? ON CONFLICT (session_id) DO NOTHING",
            (e.sealed, e.writer, z(logged), sid),
        )

    def _written(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        tx.execute(
            f"INSERT INTO {self.table('materials')} (session_id, concept_id, ord, domain,"
            " bloom_score, quality_score, iteration_count, quality_flag, material, generator,"
            " generated_at) SELECT session_id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM"
            f" {self.table('sessions')} WHERE session_id = ?"
            " ON CONFLICT (session_id, concept_id) DO NOTHING",
            (e.concept_id, logged.position, e.domain, e.bloom_score, e.quality_score,
             e.iteration_count, e.quality_flag, json.dumps(e.material, ensure_ascii=False),
             e.generator, z(logged), e.session_id),
        )

    def _ready(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        tx.execute(
            f"UPDATE {self.table('sessions')} SET materials_ready = 1, materials_ready_at = ?"
            " WHERE session_id = ?",
            (z(logged), e.session_id),
        )
        tx.execute(f"DELETE FROM {self.table('queue')} WHERE session_id = ?", (e.session_id,))

    def _deleted(self, tx: Tx, logged: LoggedEvent) -> None:
        for logical in self.tables:
            tx.execute(f"DELETE FROM {self.table(logical)} WHERE session_id = ?", (oid(logged),))

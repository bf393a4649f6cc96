"""Queries over the assessment read model."""

from __future__ import annotations

import json
from typing import Any

from infrastructure.read_store import Row
from projections.assessments import AssessmentsProjection


class AssessmentQueries:
    def __init__(self, projection: AssessmentsProjection) -> None:
        self._db = projection.store
        self._p = projection

    def session(self, session_id: str) -> Row | None:
        row = self._db.fetchone(
            f"SELECT * FROM {self._p.table('sessions')} WHERE session_id = ?", (session_id,)
        )
        return _decoded(row) if row is not None else None

    def of_user(self, user_uuid: str, limit: int, offset: int) -> list[Row]:
        """Newest first (creation position)."""
        rows = self._db.fetchall(
            f"SELECT * FROM {self._p.table('sessions')} WHERE user_uuid = ?"
            " ORDER BY id DESC LIMIT ? OFFSET ?",
            (user_uuid, limit, offset),
        )
        return [_decoded(r) for r in rows]

    def nodes(self, session_id: str) -> list[Row]:
        return self._db.fetchall(
            f"SELECT concept_id, confidence, bloom, assessed, answers FROM"
            f" {self._p.table('nodes')} WHERE session_id = ?",
            (session_id,),
        )

    def scores(self, session_id: str) -> list[Row]:
        return self._db.fetchall(
            f"SELECT skill_id, skill_name, score, confidence, reasoning FROM"
            f" {self._p.table('scores')} WHERE session_id = ? ORDER BY ord",
            (session_id,),
        )


def _decoded(row: Row) -> dict[str, Any]:
    out = dict(row)
    out["skill_ids"] = json.loads(out["skill_ids"])
    out["topics"] = json.loads(out["topics"])
    return out

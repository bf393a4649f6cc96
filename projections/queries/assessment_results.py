"""Queries over the assessment results read model: recorded reports and learning materials."""

from __future__ import annotations

from infrastructure.read_store import Row
from projections.assessment_results import AssessmentResultsProjection


class AssessmentResultQueries:
    def __init__(self, projection: AssessmentResultsProjection) -> None:
        self._db = projection.store
        self._p = projection

    def report(self, session_id: str) -> Row | None:
        """``{user_uuid, sealed}`` of the recorded report."""
        return self._db.fetchone(
            f"SELECT user_uuid, sealed FROM {self._p.table('reports')} WHERE session_id = ?",
            (session_id,),
        )

    def session(self, session_id: str) -> Row | None:
        return self._db.fetchone(
            f"SELECT * FROM {self._p.table('sessions')} WHERE session_id = ?", (session_id,)
        )

    def materials(self, session_id: str) -> list[Row]:
        """Every piece, in the order it was written."""
        return self._db.fetchall(
            f"SELECT concept_id, domain, bloom_score, quality_score, iteration_count,"
            f" quality_flag, material, generated_at FROM {self._p.table('materials')}"
            " WHERE session_id = ? ORDER BY ord",
            (session_id,),
        )

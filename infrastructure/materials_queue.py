"""SQL over the materials queue: claiming completed sessions with a lease, renewing, retrying.

As the generation queue: a claim moves the row's ``due_ms`` a lease into the future, so a
pipeline that dies leaves a row that falls due again and the next claimer carries on from what
the log says was written. PostgreSQL claims take ``FOR UPDATE SKIP LOCKED``; SQLite's writes
are serialised anyway. The row is removed by the read model when ``MaterialsReady`` arrives.
"""

from __future__ import annotations

from collections.abc import Sequence

from infrastructure.bulk_sql import SQLITE_ROWS_PER_STATEMENT, in_list, slices
from projections.assessment_results import AssessmentResultsProjection


class MaterialsQueue:
    def __init__(self, projection: AssessmentResultsProjection) -> None:
        self.store = projection.store
        self._queue = projection.table("queue")
        self._skip_locked = " FOR UPDATE SKIP LOCKED" if self.store.dialect == "postgres" else ""

    def claim(self, worker: str, now_ms: int, limit: int, lease_ms: int) -> list[str]:
        """Lease up to ``limit`` due sessions to ``worker``, oldest due first."""
        limit = min(limit, SQLITE_ROWS_PER_STATEMENT)
        if limit <= 0:
            return []
        with self.store.transaction() as tx:
            rows = tx.fetchall(
                f"SELECT session_id FROM {self._queue} WHERE due_ms <= ?"
                f" ORDER BY due_ms LIMIT ?{self._skip_locked}",
                (now_ms, limit),
            )
            ids = [r["session_id"] for r in rows]
            if ids:
                chosen, params = in_list(self.store.dialect, "session_id", ids, "text")
                tx.execute(
                    f"UPDATE {self._queue} SET due_ms = ?, worker = ?, attempts = attempts + 1"
                    f" WHERE {chosen}",
                    (now_ms + lease_ms, worker, *params),
                )
        return ids

    def renew(self, worker: str, session_ids: Sequence[str], until_ms: int) -> None:
        for some in slices(session_ids):
            with self.store.transaction() as tx:
                chosen, params = in_list(self.store.dialect, "session_id", some, "text")
                tx.execute(
                    f"UPDATE {self._queue} SET due_ms = ? WHERE worker = ? AND {chosen}",
                    (until_ms, worker, *params),
                )

    def retry_at(self, session_id: str, due_ms: int) -> None:
        """A failed run: due again then, for any worker."""
        with self.store.transaction() as tx:
            tx.execute(
                f"UPDATE {self._queue} SET due_ms = ?, worker = '' WHERE session_id = ?",
                (due_ms, session_id),
            )

    def release(self, session_ids: Sequence[str]) -> None:
        """Sessions a stopping worker will not finish: due now, not when the lease ends."""
        for some in slices(session_ids):
            with self.store.transaction() as tx:
                chosen, params = in_list(self.store.dialect, "session_id", some, "text")
                tx.execute(
                    f"UPDATE {self._queue} SET due_ms = 0, worker = '', attempts = attempts - 1"
                    f" WHERE {chosen}",
                    params,
                )

    def attempts(self, session_id: str) -> int:
        row = self.store.fetchone(
            f"SELECT attempts FROM {self._queue} WHERE session_id = ?", (session_id,)
        )
        return 0 if row is None else int(row["attempts"])

    def waiting(self) -> int:
        row = self.store.fetchone(f"SELECT COUNT(*) AS n FROM {self._queue}")
        return 0 if row is None else int(row["n"])

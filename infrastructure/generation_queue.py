"""SQL over the generation queue: claiming queued jobs with a lease, renewing, giving back.

Like the webhook outbox: a claimed row's ``due_ms`` moves a lease into the future, so a worker
that dies mid-job leaves rows that become due again, and the next claimer starts the job's
next attempt (the job's own events decide whether one is left). On PostgreSQL the claim takes
``FOR UPDATE SKIP LOCKED``, so workers never wait on each other; on SQLite ``BEGIN IMMEDIATE``
serialises claimers.
"""

from __future__ import annotations

from collections.abc import Sequence

from infrastructure.bulk_sql import SQLITE_ROWS_PER_STATEMENT, in_list, slices
from projections.generation_jobs import GenerationJobsProjection


class GenerationQueue:
    def __init__(self, projection: GenerationJobsProjection) -> None:
        self.store = projection.store
        self._queue = projection.table("queue")
        self._jobs = projection.table("jobs")
        self._skip_locked = " FOR UPDATE SKIP LOCKED" if self.store.dialect == "postgres" else ""

    def claim(self, worker: str, now_ms: int, limit: int, lease_ms: int) -> list[str]:
        """Lease up to ``limit`` due jobs to ``worker``; their uuids, oldest due first."""
        limit = min(limit, SQLITE_ROWS_PER_STATEMENT)
        if limit <= 0:
            return []
        with self.store.transaction() as tx:
            rows = tx.fetchall(
                f"SELECT job_uuid FROM {self._queue} WHERE due_ms <= ?"
                f" ORDER BY due_ms LIMIT ?{self._skip_locked}",
                (now_ms, limit),
            )
            ids = [r["job_uuid"] for r in rows]
            if ids:
                chosen, params = in_list(self.store.dialect, "job_uuid", ids, "text")
                tx.execute(
                    f"UPDATE {self._queue} SET due_ms = ?, worker = ? WHERE {chosen}",
                    (now_ms + lease_ms, worker, *params),
                )
        return ids

    def renew(self, worker: str, job_uuids: Sequence[str], until_ms: int) -> None:
        """Keep the leases of jobs this worker is still running."""
        if not job_uuids:
            return
        with self.store.transaction() as tx:
            for some in slices(job_uuids):
                chosen, params = in_list(self.store.dialect, "job_uuid", some, "text")
                tx.execute(
                    f"UPDATE {self._queue} SET due_ms = ? WHERE worker = ? AND {chosen}",
                    (until_ms, worker, *params),
                )

    def due_at(self, job_uuid: str, due_ms: int) -> None:
        """The job's next attempt is due then (after a failed attempt), by any worker."""
        with self.store.transaction() as tx:
            tx.execute(
                f"UPDATE {self._queue} SET due_ms = ?, worker = '' WHERE job_uuid = ?",
                (due_ms, job_uuid),
            )

    def release(self, job_uuids: Sequence[str]) -> None:
        """Jobs a stopping worker will not finish: due again now, not when the lease ends."""
        for some in slices(job_uuids):
            with self.store.transaction() as tx:
                chosen, params = in_list(self.store.dialect, "job_uuid", some, "text")
                tx.execute(f"UPDATE {self._queue} SET due_ms = 0, worker = '' WHERE {chosen}", params)

    def next_due_ms(self) -> int | None:
        row = self.store.fetchone(f"SELECT MIN(due_ms) AS due FROM {self._queue}")
        return None if row is None or row["due"] is None else int(row["due"])

    def ended(self, job_uuids: Sequence[str]) -> set[str]:
        """Which of these jobs the read model already shows as ended (e.g. cancelled)."""
        out: set[str] = set()
        for some in slices(job_uuids):
            chosen, params = in_list(self.store.dialect, "job_uuid", some, "text")
            rows = self.store.fetchall(
                f"SELECT job_uuid FROM {self._jobs} WHERE status IN ('completed', 'failed')"
                f" AND {chosen}",
                params,
            )
            out.update(r["job_uuid"] for r in rows)
        return out

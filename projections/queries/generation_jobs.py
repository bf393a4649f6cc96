"""Reads over the generation jobs read model (poll, list, SSE, plans and credits)."""

from __future__ import annotations

from infrastructure.read_store import Row
from projections.generation_jobs import GenerationJobsProjection


class GenerationJobQueries:
    def __init__(self, projection: GenerationJobsProjection) -> None:
        self._p = projection
        self._store = projection.store

    def job(self, job_uuid: str) -> Row | None:
        return self._store.fetchone(
            f"SELECT * FROM {self._p.table('jobs')} WHERE job_uuid = ?", (job_uuid,)
        )

    def page(self, org_uuid: str, status: str | None, offset: int, limit: int) -> list[Row]:
        where, params = self._where(org_uuid, status)
        return self._store.fetchall(
            f"SELECT * FROM {self._p.table('jobs')} WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )

    def count(self, org_uuid: str, status: str | None) -> int:
        where, params = self._where(org_uuid, status)
        row = self._store.fetchone(
            f"SELECT COUNT(*) AS n FROM {self._p.table('jobs')} WHERE {where}", params
        )
        return int(row["n"]) if row else 0

    @staticmethod
    def _where(org_uuid: str, status: str | None) -> tuple[str, tuple[str, ...]]:
        if status is None:
            return "org_uuid = ?", (org_uuid,)
        return "org_uuid = ? AND status = ?", (org_uuid, status)

    def account(self, org_uuid: str) -> Row | None:
        return self._store.fetchone(
            f"SELECT * FROM {self._p.table('accounts')} WHERE org_uuid = ?", (org_uuid,)
        )

    def usage(self, org_uuid: str, month: str) -> tuple[int, int]:
        """``(credits taken, credits given back)`` this month."""
        row = self._store.fetchone(
            f"SELECT used, returned FROM {self._p.table('usage')} WHERE org_uuid = ? AND month = ?",
            (org_uuid, month),
        )
        return (int(row["used"]), int(row["returned"])) if row else (0, 0)

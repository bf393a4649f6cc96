"""Generation jobs read model: what the poll, list and SSE routes read, the worker's queue,
and each org's generation account (plan, callback secret) and credit usage.

The ``queue`` rows are created and removed here (a job queued, a job ended); delivery of the
work is the worker's business (``infrastructure.generation_queue`` moves ``due_ms`` to lease a
row, as the webhook worker does with the outbox).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from domain.generation_accounts import GenerationAccount as A
from domain.generation_credits import CreditSlot
from domain.generation_jobs import COMPLETED, FAILED, PENDING, RUNNING
from domain.generation_jobs import GenerationJob as J
from infrastructure.event_store import LoggedEvent
from infrastructure.read_store import Tx
from infrastructure.uuid_text import uuid_text
from projections.engine.framework import Handler, Projection
from projections.identity import oid, ts

CANCELLED_MESSAGE = "The job was cancelled."


class GenerationJobsProjection(Projection):
    name = "generation_jobs"
    version = 1
    tables = {
        "jobs": (
            "job_uuid TEXT PRIMARY KEY, id BIGINT NOT NULL, org_uuid TEXT NOT NULL,"
            " requested_by TEXT NOT NULL, subject TEXT NOT NULL, format TEXT NOT NULL,"
            " language_id TEXT NOT NULL, add_ons TEXT NOT NULL, has_callback INTEGER NOT NULL,"
            " status TEXT NOT NULL, progress INTEGER NOT NULL, step TEXT NOT NULL,"
            " attempts INTEGER NOT NULL, generator TEXT NOT NULL, course_uuid TEXT,"
            " course_name TEXT, headline TEXT, share_url TEXT, error_code TEXT,"
            " error_message TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,"
            " finished_at TEXT, position BIGINT NOT NULL"
        ),
        "queue": "job_uuid TEXT PRIMARY KEY, org_uuid TEXT NOT NULL, due_ms BIGINT NOT NULL, worker TEXT NOT NULL",
        "accounts": (
            "org_uuid TEXT PRIMARY KEY, plan TEXT NOT NULL, callback_secret TEXT NOT NULL,"
            " previous_callback_secret TEXT NOT NULL, previous_valid_until TEXT NOT NULL"
        ),
        "usage": (
            "org_uuid TEXT NOT NULL, month TEXT NOT NULL, used INTEGER NOT NULL,"
            " returned INTEGER NOT NULL, PRIMARY KEY (org_uuid, month)"
        ),
    }
    indexes = (
        "CREATE INDEX IF NOT EXISTS {jobs}_org ON {jobs} (org_uuid, id)",
        "CREATE INDEX IF NOT EXISTS {jobs}_org_status ON {jobs} (org_uuid, status, id)",
        "CREATE INDEX IF NOT EXISTS {queue}_due ON {queue} (due_ms)",
    )

    def __init__(self, store: Any) -> None:
        super().__init__(store)
        self._queued = False
        self._cancelled_now: list[str] = []
        self._on_queued: list[Callable[[], None]] = []
        self._on_cancelled: list[Callable[[list[str]], None]] = []

    def on_queued(self, listener: Callable[[], None]) -> None:
        """``listener()`` runs after a batch that queued a job (or put one back) committed:
        this process's worker claims it without waiting for its next poll."""
        self._on_queued.append(listener)

    def on_cancelled(self, listener: Callable[[list[str]], None]) -> None:
        """``listener(job_uuids)`` runs after a batch that cancelled jobs committed."""
        self._on_cancelled.append(listener)

    def committed(self) -> None:
        if self._queued:
            self._queued = False
            for listener in list(self._on_queued):
                listener()
        if self._cancelled_now:
            cancelled, self._cancelled_now = self._cancelled_now, []
            for on_cancelled in list(self._on_cancelled):
                on_cancelled(cancelled)

    def rolled_back(self) -> None:
        self._queued = False
        self._cancelled_now = []

    def handlers(self) -> dict[type, Handler]:
        return {
            J.GenerationRequested: self._requested,
            J.GenerationStarted: self._started,
            J.GenerationProgressed: self._progressed,
            J.GenerationAttemptFailed: self._attempt_failed,
            J.GenerationCompleted: self._completed,
            J.GenerationFailed: self._failed,
            J.GenerationCancelled: self._cancelled,
            A.GenerationAccountOpened: self._account_opened,
            A.GenerationPlanChanged: self._plan_changed,
            A.CallbackSecretRotated: self._secret_rotated,
            CreditSlot.CreditUsed: self._credit_used,
            CreditSlot.CreditReturned: self._credit_returned,
        }

    # -- jobs -----------------------------------------------------------------------------
    def _requested(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        when = ts(logged)
        tx.execute(
            f"INSERT INTO {self.table('jobs')} (job_uuid, id, org_uuid, requested_by, subject,"
            " format, language_id, add_ons, has_callback, status, progress, step, attempts,"
            " generator, created_at, updated_at, position)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '', 0, '', ?, ?, ?)",
            (
                oid(logged), logged.position, uuid_text(e.org_id), e.requested_by, e.subject, e.format,
                e.language_id, json.dumps(e.add_ons), int(bool(e.callback_url)), PENDING, when,
                when, logged.position,
            ),
        )
        tx.execute(
            f"INSERT INTO {self.table('queue')} (job_uuid, org_uuid, due_ms, worker)"
            " VALUES (?, ?, 0, '')",
            (oid(logged), uuid_text(e.org_id)),
        )
        self._queued = True

    def _set(self, tx: Tx, logged: LoggedEvent, **values: Any) -> None:
        assigns = "".join(f"{k} = ?, " for k in values)
        tx.execute(
            f"UPDATE {self.table('jobs')} SET {assigns}updated_at = ?, position = ? WHERE job_uuid = ?",
            (*values.values(), ts(logged), logged.position, oid(logged)),
        )

    def _started(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        self._set(tx, logged, status=RUNNING, attempts=e.attempt, generator=e.generator)

    def _progressed(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        self._set(tx, logged, progress=e.progress, step=e.step)

    def _attempt_failed(self, tx: Tx, logged: LoggedEvent) -> None:
        self._set(tx, logged, status=PENDING)
        self._queued = True

    def _ended(self, tx: Tx, logged: LoggedEvent, **values: Any) -> None:
        self._set(tx, logged, finished_at=ts(logged), **values)
        tx.execute(f"DELETE FROM {self.table('queue')} WHERE job_uuid = ?", (oid(logged),))

    def _completed(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        self._ended(
            tx, logged, status=COMPLETED, progress=100, course_uuid=uuid_text(e.course_id),
            course_name=e.course_name, headline=e.headline, share_url=e.share_url,
        )

    def _failed(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        self._ended(tx, logged, status=FAILED, error_code=e.code, error_message=e.message)

    def _cancelled(self, tx: Tx, logged: LoggedEvent) -> None:
        self._cancelled_now.append(oid(logged))
        self._ended(
            tx, logged, status=FAILED, error_code="JOB_CANCELLED", error_message=CANCELLED_MESSAGE
        )

    # -- accounts and credits -------------------------------------------------------------
    def _account_opened(self, tx: Tx, logged: LoggedEvent) -> None:
        tx.execute(
            f"INSERT INTO {self.table('accounts')} (org_uuid, plan, callback_secret,"
            " previous_callback_secret, previous_valid_until) VALUES (?, '', '', '', '')",
            (uuid_text(logged.event.org_id),),  # type: ignore[attr-defined]
        )

    def _plan_changed(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        tx.execute(
            f"UPDATE {self.table('accounts')} SET plan = ? WHERE org_uuid = ?", (e.plan, uuid_text(e.org_id))
        )

    def _secret_rotated(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        tx.execute(
            f"UPDATE {self.table('accounts')} SET callback_secret = ?, previous_callback_secret = ?,"
            " previous_valid_until = ? WHERE org_uuid = ?",
            (e.secret_ciphertext, e.previous_secret_ciphertext, e.previous_valid_until, uuid_text(e.org_id)),
        )

    def _credit_used(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        tx.execute(
            f"INSERT INTO {self.table('usage')} (org_uuid, month, used, returned) VALUES (?, ?, 1, 0)"
            " ON CONFLICT (org_uuid, month) DO UPDATE SET used = "
            f"{self.table('usage')}.used + 1",
            (uuid_text(e.org_id), e.month),
        )

    def _credit_returned(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        tx.execute(
            f"UPDATE {self.table('usage')} SET returned = returned + 1 WHERE org_uuid = ? AND month = ?",
            (uuid_text(e.org_id), e.month),
        )

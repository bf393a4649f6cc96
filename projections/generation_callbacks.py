"""LearningStudio's ``callbackUrl``: one-off deliveries through the webhook outbox.

A job's callback goes out like any webhook (signed with Standard Webhooks and LearnHouse
headers, retried on the outbox schedule, SSRF-checked at connect time, no redirects), so the
publisher writes it: ``GenerationRequested`` with a ``callbackUrl`` adds a *callback target*
to the endpoints table, and the job's ending queues one delivery to it whose body is the
seed's own (``{event, jobId, course}`` or ``{event, jobId, error}``), not our envelope.

Callback targets and each org's callback-secret holder are endpoint rows with
``deleted = 1``: no management query lists them and no event fans out to them. A target is
``is_active = 1`` (the outbox claims its deliveries); the holder, which only keeps the org's
current and previous secret for the targets to copy, is ``is_active = 0``. Rotating the secret
re-signs the targets whose deliveries are still to come.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid5

from application.generation_views import callback_course, public_job_id
from domain.generation_accounts import GenerationAccount as A
from domain.generation_accounts import account_id
from domain.generation_jobs import JOB_CANCELLED
from domain.generation_jobs import GenerationJob as J
from infrastructure.bulk_sql import insert_rows
from infrastructure.event_store import LoggedEvent
from infrastructure.read_store import Dialect, Tx
from infrastructure.uuid_text import uuid_text
from projections.engine.framework import Handler
from projections.webhook_deliveries import delivery_id, iso_z

_TARGETS = UUID("0c5f3b8e-2d41-4e7a-9b6c-7a1d2e3f4b5c")
CREATED, FAILED = "course.created", "course.failed"
CANCELLED_MESSAGE = "The job was cancelled."


def target_uuid(job_id: UUID) -> str:
    return str(uuid5(_TARGETS, str(job_id)))


class GenerationCallbacks:
    def __init__(
        self, table: Callable[[str], str], dialect: Dialect, queued: Callable[[], None],
        replaying: Callable[[LoggedEvent], bool] = lambda logged: False,
    ) -> None:
        self._endpoints = table("endpoints")
        self._deliveries = table("deliveries")
        self._dialect = dialect
        self._queued = queued
        # A rebuild applying an event whose callback was queued when it was first applied.
        self._replaying = replaying

    def handlers(self) -> dict[type, Handler]:
        return {
            A.CallbackSecretRotated: self._secret_rotated,
            J.GenerationRequested: self._requested,
            J.GenerationCompleted: self._completed,
            J.GenerationFailed: self._failed,
            J.GenerationCancelled: self._cancelled,
        }

    def _secret_rotated(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        when = iso_z(e.timestamp)
        secrets = (e.secret_ciphertext, e.previous_secret_ciphertext, e.previous_valid_until)
        tx.execute(
            f"INSERT INTO {self._endpoints} (endpoint_uuid, id, org_uuid, url, description, events,"
            " is_active, deleted, secret, previous_secret, previous_valid_until, created_by,"
            " disabled_reason, creation_date, update_date)"
            " VALUES (?, ?, ?, '', 'generation callbacks: signing secret', '[]', 0, 1, ?, ?, ?,"
            " NULL, NULL, ?, ?) ON CONFLICT (endpoint_uuid) DO UPDATE SET secret = excluded.secret,"
            " previous_secret = excluded.previous_secret,"
            " previous_valid_until = excluded.previous_valid_until, update_date = excluded.update_date",
            (str(account_id(e.org_id)), logged.position, uuid_text(e.org_id), *secrets, when, when),
        )
        tx.execute(
            f"UPDATE {self._endpoints} SET secret = ?, previous_secret = ?, previous_valid_until = ?,"
            " update_date = ? WHERE org_uuid = ? AND deleted = 1 AND is_active = 1",
            (*secrets, when, uuid_text(e.org_id)),
        )

    def _requested(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        if not e.callback_url:
            return
        holder = tx.fetchone(
            f"SELECT secret, previous_secret, previous_valid_until FROM {self._endpoints}"
            " WHERE endpoint_uuid = ?",
            (str(account_id(e.org_id)),),
        )
        if holder is None:  # nothing to sign with (the request path always appends one first)
            return
        when = iso_z(e.timestamp)
        tx.execute(
            f"INSERT INTO {self._endpoints} (endpoint_uuid, id, org_uuid, url, description, events,"
            " is_active, deleted, secret, previous_secret, previous_valid_until, created_by,"
            " disabled_reason, creation_date, update_date)"
            " VALUES (?, ?, ?, ?, ?, '[]', 1, 1, ?, ?, ?, NULL, NULL, ?, ?)"
            " ON CONFLICT (endpoint_uuid) DO NOTHING",
            (
                target_uuid(e.originator_id), logged.position, uuid_text(e.org_id), e.callback_url,
                f"callback of {public_job_id(uuid_text(e.originator_id))}", holder["secret"],
                holder["previous_secret"], holder["previous_valid_until"], when, when,
            ),
        )

    def _completed(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        body = {"event": CREATED, "jobId": public_job_id(uuid_text(e.originator_id)), "course": callback_course(e)}
        self._enqueue(tx, logged, CREATED, body)

    def _failed(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        error = {"message": e.message, "code": e.code}
        self._enqueue(tx, logged, FAILED, {"event": FAILED, "jobId": public_job_id(uuid_text(e.originator_id)), "error": error})

    def _cancelled(self, tx: Tx, logged: LoggedEvent) -> None:
        e: Any = logged.event
        error = {"message": CANCELLED_MESSAGE, "code": JOB_CANCELLED}
        self._enqueue(tx, logged, FAILED, {"event": FAILED, "jobId": public_job_id(uuid_text(e.originator_id)), "error": error})

    def _enqueue(self, tx: Tx, logged: LoggedEvent, name: str, body: dict[str, Any]) -> None:
        if self._replaying(logged):
            return
        e: Any = logged.event
        target = target_uuid(e.originator_id)
        if tx.fetchone(f"SELECT 1 AS one FROM {self._endpoints} WHERE endpoint_uuid = ?", (target,)) is None:
            return  # the job has no callbackUrl
        insert_rows(
            tx, self._dialect, self._deliveries,
            ("delivery_id", "endpoint_uuid", "org_uuid", "event_name", "position", "payload",
             "status", "attempts", "due_ms", "replayed", "created_at", "updated_ms"),
            ("text", "text", "text", "text", "bigint", "text", "text", "int", "bigint", "int",
             "text", "bigint"),
            [(
                delivery_id(target, logged.position), target, uuid_text(e.org_id), name, logged.position,
                json.dumps(body, ensure_ascii=False), "pending", 0, 0, 0, iso_z(e.timestamp), 0,
            )],
            suffix="ON CONFLICT (delivery_id) DO NOTHING",
        )
        self._queued()

"""One attempt of one generation job: start it, drive the workflow, end it on the log.

Appends for one job are serialised here (parallel steps finish in any order), so each is one
optimistic-concurrency save of the job; a save that conflicts means the job changed elsewhere
(cancelled, or taken over by another worker after a lease ran out), and this attempt stops
without writing anything more.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from application.generated_course import CoursePlan, course_tree
from application.generation_steps import JobContext, Result
from application.language_model import (
    LanguageModel,
    ModelAuthError,
    ModelError,
    ModelRequestRejected,
    seed_error,
)
from application.ports import EventLog
from domain.generation_credits import CreditSlot
from domain.generation_jobs import FAILED, INTERNAL_ERROR, GenerationJob

log = logging.getLogger("learnstream.generation")

INTERNAL_MESSAGE = "The course could not be generated because of an internal error."


class ModelSource(Protocol):
    def for_org(self, org_id: UUID) -> LanguageModel:
        """The model this org's jobs use; ``ModelAuthError`` when it has no usable key."""
        ...


@dataclass(frozen=True)
class AttemptOutcome:
    #: the job reached an end (completed, failed, cancelled) or is someone else's now
    done: bool
    #: seconds to wait before the next attempt, when one is due
    retry_in: float = 0.0


class NoModelKey(ModelAuthError):
    """Neither the org nor the server has an Anthropic key."""

    code = "model_key_missing"
    message = (
        "No Anthropic API key is configured. An org admin can add one with "
        "PUT /api/v1/admin/{org_slug}/generation/anthropic-key."
    )


class Superseded(Exception):
    """The job changed elsewhere while this attempt ran: stop, write nothing."""


def job_error(exc: ModelError) -> tuple[str, str]:
    """A failed model call as the job's ``error``: a stable code and the seed's message."""
    if isinstance(exc, NoModelKey):
        return exc.code.upper(), NoModelKey.message
    return exc.code.upper(), seed_error(exc)[1]


def retryable(exc: ModelError) -> bool:
    """A bad key or a request the service refuses fails the same way every time."""
    return not isinstance(exc, ModelAuthError | ModelRequestRejected)


class _Attempt:
    """``JobSteps`` for one attempt: reads results from the job, appends new ones."""

    def __init__(self, runner: GenerationRunner, job: GenerationJob) -> None:
        self._runner = runner
        self.job = job
        self._lock = asyncio.Lock()

    async def step(self, step: str, ask: Callable[[], Awaitable[Result]]) -> Result:
        recorded = self.job.results.get(step)
        if recorded is not None:
            return recorded
        result = await ask()
        async with self._lock:
            if self.job.record_step(step, result):
                await self._runner._append(self.job)
        return result

    async def commit(self, plan: CoursePlan) -> None:
        async with self._lock:
            job = self.job
            course, tree = course_tree(plan, job.org_id, job.author_id)
            job.complete(course.id, course.name, plan.headline, self._runner.share_url(course.id))
            await self._runner._append(*tree, job)


class GenerationRunner:
    def __init__(
        self,
        events: EventLog,
        models: ModelSource,
        graph: Any,
        *,
        worker: str,
        max_attempts: int,
        retry_seconds: float,
        share_url: Callable[[UUID], str],
    ) -> None:
        self._events = events
        self._models = models
        #: the compiled ``course_generation_graph()``, with its checkpointer
        self._graph = graph
        self._worker = worker
        self._max_attempts = max_attempts
        self._retry_seconds = retry_seconds
        self.share_url = share_url

    async def run(self, job_id: UUID) -> AttemptOutcome:
        job = self._events.get(job_id, GenerationJob)
        if job is None or job.finished:
            return AttemptOutcome(done=True)
        try:
            model = self._models.for_org(job.org_id)
        except ModelError as exc:
            return await self._end(job, exc)
        if not job.start(self._worker, model.name, self._max_attempts):
            return await self._settle(job)
        try:
            await self._append(job)
            await self._drive(job, model)
        except Superseded:
            return AttemptOutcome(done=True)
        except ModelError as exc:
            return await self._end(job, exc)
        except Exception:
            log.exception("generation job %s failed unexpectedly", job_id)
            job.attempt_failed(INTERNAL_ERROR, INTERNAL_MESSAGE, self._max_attempts)
            return await self._settle(job)
        await self._forget_checkpoint(job_id)
        return AttemptOutcome(done=True)

    async def _drive(self, job: GenerationJob, model: LanguageModel) -> None:
        config = {"configurable": {"thread_id": str(job.id)}}
        snapshot = await self._graph.aget_state(config)
        # Unfinished nodes in the checkpoint: carry on from there; otherwise start afresh
        # (steps the log already has cost nothing either way).
        start = None if snapshot.next else {"brief": _brief(job)}
        context = JobContext(steps=_Attempt(self, job), model=model)
        await self._graph.ainvoke(start, config, context=context, durability="sync")

    async def _end(self, job: GenerationJob, exc: ModelError) -> AttemptOutcome:
        code, message = job_error(exc)
        log.warning("generation job %s: %s (%s)", job.id, code, exc)
        if job.status == "running" and retryable(exc):
            job.attempt_failed(code, message, self._max_attempts)
        else:
            job.fail(code, message)
        wait = max(self._retry_seconds, float(exc.retry_after or 0))
        return await self._settle(job, wait)

    async def _settle(self, job: GenerationJob, retry_in: float | None = None) -> AttemptOutcome:
        """Append the attempt's ending; a failed job gives its credit back in that append."""
        extra: list[Aggregate] = []
        if job.status == FAILED:
            credit = self._events.get(job.credit_id, CreditSlot)
            if credit is not None:
                credit.give_back(job.error_code)
                extra.append(credit)
        try:
            await self._append(job, *extra)
        except Superseded:
            return AttemptOutcome(done=True)
        if job.finished:
            await self._forget_checkpoint(job.id)
            return AttemptOutcome(done=True)
        return AttemptOutcome(done=False, retry_in=self._retry_seconds if retry_in is None else retry_in)

    async def _append(self, *aggregates: Aggregate) -> None:
        try:
            await self._events.save_async(*aggregates)
        except IntegrityError:
            raise Superseded() from None

    async def _forget_checkpoint(self, job_id: UUID) -> None:
        checkpointer = getattr(self._graph, "checkpointer", None)
        if checkpointer is not None:
            try:
                await checkpointer.adelete_thread(str(job_id))
            except Exception:  # a cache: a leftover costs disk, not correctness
                log.warning("could not delete the checkpoint of job %s", job_id, exc_info=True)


def _brief(job: GenerationJob) -> dict[str, Any]:
    return {
        "subject": job.subject, "format": job.format, "language_id": job.language_id,
        "outline": list(job.outline), "add_ons": list(job.add_ons),
    }

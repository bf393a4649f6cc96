"""The generation worker: a follower-driven pool of asyncio tasks, one per running job.

One thread runs an event loop. Each turn it claims due jobs from the queue (a lease per job,
``infrastructure.generation_queue``) up to ``concurrency`` running at once, renews the leases
of its running jobs every third of a lease, and cancels the task of a job the read model shows
as ended (cancelled by a user). The waits are model calls, so hundreds of jobs share one
thread; a dead worker's jobs become due again when their leases run out.

It wakes when this process's jobs projection queues a job (``on_queued``), when a task ends,
and every ``poll_seconds`` (jobs queued through another process, retries falling due).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from application.generation_runner import GenerationRunner
from infrastructure.generation_checkpoints import open_checkpointer
from infrastructure.generation_queue import GenerationQueue

log = logging.getLogger("learnstream.generation")

#: builds the runner around the compiled graph (with its checkpointer) and this worker's id
RunnerFactory = Callable[[Any, str], GenerationRunner]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class GenerationWorker:
    def __init__(
        self,
        queue: GenerationQueue,
        make_runner: RunnerFactory,
        *,
        checkpoints: str,
        concurrency: int = 64,
        lease_seconds: float = 60.0,
        poll_seconds: float = 1.0,
        attempt_timeout: float = 1800.0,
        on_close: Callable[[], Awaitable[None]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if concurrency < 1:
            raise ValueError("generation concurrency must be at least 1")
        self.queue = queue
        self.name = worker_name()
        self._make_runner = make_runner
        self._checkpoints = checkpoints
        self.concurrency = concurrency
        self.lease_ms = int(lease_seconds * 1000)
        self.poll_seconds = poll_seconds
        self.attempt_timeout = attempt_timeout
        self._on_close = on_close
        self._clock = clock
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._ready = threading.Event()
        self.finished_attempts = 0

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name="generation", daemon=True)
        self._thread.start()
        self._ready.wait(30)

    def wake(self) -> None:
        """Thread-safe: look for work now (a job was queued)."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(wake.set)

    def cancelled(self, job_uuids: list[str]) -> None:
        """Thread-safe: these jobs were cancelled; stop the tasks running them here."""
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._cancel_tasks, job_uuids)

    def _cancel_tasks(self, job_uuids: list[str]) -> None:
        for job_uuid in job_uuids:
            task = self._tasks.get(job_uuid)
            if task is not None:
                task.cancel()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def running(self) -> list[str]:
        return list(self._tasks)

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        except Exception:
            log.exception("the generation worker stopped on an error")
        finally:
            self._ready.set()

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        async with open_checkpointer(self._checkpoints) as saver:
            # LangGraph (about a second) is imported when the worker runs, not by every
            # process that builds the worker and never starts it.
            from application.generation_pipeline import course_generation_graph

            runner = self._make_runner(course_generation_graph().compile(checkpointer=saver), self.name)
            self._ready.set()
            renewed = 0.0
            try:
                while not self._stop.is_set():
                    self._claim(runner)
                    if time.monotonic() - renewed >= self.lease_ms / 3000:
                        renewed = time.monotonic()
                        self._keep_leases()
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            finally:
                await self._shut_down()

    async def _shut_down(self) -> None:
        unfinished = list(self._tasks)
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        if unfinished:
            with contextlib.suppress(Exception):
                self.queue.release(unfinished)  # due now, for the next worker
        if self._on_close is not None:
            with contextlib.suppress(Exception):
                await self._on_close()

    # -- work -----------------------------------------------------------------------------
    def _claim(self, runner: GenerationRunner) -> None:
        room = self.concurrency - len(self._tasks)
        if room <= 0:
            return
        try:
            claimed = self.queue.claim(self.name, self.now_ms(), room, self.lease_ms)
        except Exception:
            log.exception("claiming generation jobs failed")
            return
        for job_uuid in claimed:
            if job_uuid not in self._tasks:
                self._tasks[job_uuid] = asyncio.create_task(self._attempt(runner, job_uuid))

    async def _attempt(self, runner: GenerationRunner, job_uuid: str) -> None:
        try:
            outcome = await asyncio.wait_for(runner.run(UUID(job_uuid)), self.attempt_timeout)
            if not outcome.done:
                self.queue.due_at(job_uuid, self.now_ms() + int(outcome.retry_in * 1000))
        except TimeoutError:
            # A hung attempt must not keep its lease alive for ever: the next attempt starts
            # now, and the job fails once its attempts are used up.
            log.error("generation job %s: attempt timed out after %.0f s", job_uuid, self.attempt_timeout)
            self.queue.due_at(job_uuid, self.now_ms())
        except asyncio.CancelledError:
            raise
        except Exception:
            # Nothing was recorded for this attempt: its lease runs out and it is tried again.
            log.exception("generation job %s: attempt crashed", job_uuid)
        finally:
            self._tasks.pop(job_uuid, None)
            self.finished_attempts += 1
            if self._wake is not None:
                self._wake.set()

    def _keep_leases(self) -> None:
        mine = list(self._tasks)
        if not mine:
            return
        try:
            for job_uuid in self.queue.ended(mine):
                task = self._tasks.get(job_uuid)
                if task is not None:
                    task.cancel()  # cancelled elsewhere: stop asking the model
            self.queue.renew(self.name, mine, self.now_ms() + self.lease_ms)
        except Exception:
            log.exception("renewing generation leases failed")

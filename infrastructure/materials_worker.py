"""The materials worker: asyncio tasks in one thread, one per completed session being written.

It claims sessions from the queue with a lease (``infrastructure.materials_queue``), renews
the leases of the runs it holds, and gives a failed run a later turn: after ``max_attempts``
failed runs (the model keeps failing, the key was removed) the next run writes with the
offline tools, so every session's materials end ready. It starts on the first call of
``wake()``, made by the results projection when this process follows it and whenever it
queues work; it never starts again once stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable

from application.materials import MaterialsPipeline
from infrastructure.generation_worker import worker_name
from infrastructure.materials_queue import MaterialsQueue

log = logging.getLogger("learnstream.materials")


class MaterialsWorker:
    def __init__(
        self,
        queue: MaterialsQueue,
        pipeline: MaterialsPipeline,
        *,
        concurrency: int = 8,
        lease_seconds: float = 120.0,
        poll_seconds: float = 2.0,
        retry_seconds: float = 60.0,
        max_attempts: int = 3,
        on_close: Callable[[], Awaitable[None]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if concurrency < 1:
            raise ValueError("materials concurrency must be at least 1")
        self.queue = queue
        self.pipeline = pipeline
        self.name = worker_name()
        self.concurrency = concurrency
        self.lease_ms = int(lease_seconds * 1000)
        self.poll_seconds = poll_seconds
        self.retry_ms = int(retry_seconds * 1000)
        self.max_attempts = max_attempts
        self._on_close = on_close
        self._clock = clock
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stop = threading.Event()
        self._started = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self.finished_runs = 0

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    # -- lifecycle ------------------------------------------------------------------------
    def wake(self) -> None:
        """Thread-safe: start if not started yet, and look for work now."""
        if self._stop.is_set():
            return
        with self._started:
            if self._thread is None:
                ready = threading.Event()
                self._thread = threading.Thread(
                    target=self._main, args=(ready,), name="materials", daemon=True
                )
                self._thread.start()
                ready.wait(30)
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(wake.set)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(wake.set)
        with self._started:
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _main(self, ready: threading.Event) -> None:
        try:
            asyncio.run(self._run(ready))
        except Exception:
            log.exception("the materials worker stopped on an error")
        finally:
            ready.set()

    async def _run(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        ready.set()
        renewed = time.monotonic()
        try:
            while not self._stop.is_set():
                self._claim()
                if time.monotonic() - renewed >= self.lease_ms / 3000:
                    renewed = time.monotonic()
                    self._keep_leases()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
        finally:
            unfinished = list(self._tasks)
            for task in self._tasks.values():
                task.cancel()
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
            if unfinished:
                with contextlib.suppress(Exception):
                    self.queue.release(unfinished)
            if self._on_close is not None:
                with contextlib.suppress(Exception):
                    await self._on_close()  # clients opened on this loop close on it

    # -- work -----------------------------------------------------------------------------
    def _claim(self) -> None:
        room = self.concurrency - len(self._tasks)
        if room <= 0:
            return
        try:
            claimed = self.queue.claim(self.name, self.now_ms(), room, self.lease_ms)
        except Exception:
            log.exception("claiming materials work failed")
            return
        for session_id in claimed:
            if session_id not in self._tasks:
                self._tasks[session_id] = asyncio.create_task(self._attempt(session_id))

    async def _attempt(self, session_id: str) -> None:
        try:
            offline_only = self.queue.attempts(session_id) > self.max_attempts
            await self.pipeline.run(session_id, offline_only)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("materials for session %s: run failed, retrying later", session_id)
            with contextlib.suppress(Exception):
                self.queue.retry_at(session_id, self.now_ms() + self.retry_ms)
        finally:
            self._tasks.pop(session_id, None)
            self.finished_runs += 1
            if self._wake is not None:
                self._wake.set()

    def _keep_leases(self) -> None:
        mine = list(self._tasks)
        if mine:
            try:
                self.queue.renew(self.name, mine, self.now_ms() + self.lease_ms)
            except Exception:
                log.exception("renewing materials leases failed")

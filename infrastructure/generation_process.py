"""The generation worker in a process of its own, beside ``learnstream serve``.

A burst of jobs is CPU work (the model client, LangGraph, building courses): in the API's
process it competes with requests for one interpreter lock, and the 202 of the next request
waits behind it. Here the worker (``api.generation_child``) runs in a child process on another
core, on the same stores; two pipes carry the wake-ups that a shared process got for free:

- to the child: ``w`` (a job was queued: claim now) and ``c <uuid> ...`` (jobs cancelled);
- from the child: ``ready``, then ``p <position>`` after each of its appends, so this
  process's followers read the log at once instead of at their next poll.

The child exits when its command pipe closes, which includes this process dying (kill -9):
it stops its tasks and gives their jobs back, due at once. A child that dies is started
again after a pause; its unfinished jobs wait for their leases like any dead worker's.

It is started when there is work: a job queued here, or a queue that is not empty (looked at
every ``poll_seconds``, for jobs another process queued or a dead worker left). A server
nobody asks for a course spends no process, memory or connections on it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable

log = logging.getLogger("learnstream.generation")

#: what the child runs; a module, so it needs no installed console script
CHILD = [sys.executable, "-m", "api.generation_child"]


class GenerationProcess:
    def __init__(
        self,
        on_appended: Callable[[int | None], None],
        *,
        has_work: Callable[[], bool] = lambda: True,
        poll_seconds: float = 1.0,
        restart_after: float = 1.0,
    ) -> None:
        self._on_appended = on_appended
        self._has_work = has_work
        self._poll_seconds = poll_seconds
        self._needed = threading.Event()
        self._restart_after = restart_after
        self._proc: subprocess.Popen[bytes] | None = None
        self._commands: int | None = None  # our end of the child's command pipe
        self._send = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Returns at once; the child starts when there is work, and claims it once ready."""
        self._thread = threading.Thread(target=self._supervise, name="generation-process", daemon=True)
        self._thread.start()

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None else None

    def stop(self, timeout: float = 15.0) -> None:
        """Close the command pipe (the child finishes its shutdown), then wait for it."""
        self._stop.set()
        self._needed.set()
        self._close_commands()
        proc = self._proc
        if proc is not None:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    # -- messages to the child ------------------------------------------------------------
    def wake(self) -> None:
        self._needed.set()
        self._tell(b"w\n")

    def cancelled(self, job_uuids: list[str]) -> None:
        if job_uuids:
            self._tell(("c " + " ".join(job_uuids) + "\n").encode())

    def _tell(self, line: bytes) -> None:
        with self._send:
            fd = self._commands
            if fd is None:
                return  # no child right now: it claims what is due when it starts
            with contextlib.suppress(OSError):  # the child is gone; the supervisor restarts it
                os.write(fd, line)

    def _close_commands(self) -> None:
        with self._send:
            if self._commands is not None:
                with contextlib.suppress(OSError):
                    os.close(self._commands)
                self._commands = None

    # -- the child ------------------------------------------------------------------------
    def _wait_for_work(self) -> None:
        while not self._needed.is_set():
            try:
                if self._has_work():
                    return
            except Exception:
                log.exception("looking for generation work failed")
            self._needed.wait(self._poll_seconds)

    def _supervise(self) -> None:
        self._wait_for_work()
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self._run_child()
            except Exception:
                log.exception("the generation worker process could not be run")
            if self._stop.is_set():
                return
            log.error("the generation worker process ended; starting another")
            # A child that dies at once (a broken setting) must not be restarted in a spin.
            pause = self._restart_after if time.monotonic() - started > 10 else self._restart_after * 5
            self._stop.wait(pause)

    def _run_child(self) -> None:
        child_reads, parent_writes = os.pipe()
        parent_reads, child_writes = os.pipe()
        try:
            proc = subprocess.Popen(  # noqa: S603 - this interpreter, our module, two fd numbers
                [*CHILD, str(child_reads), str(child_writes)],  # our environment: the same settings
                stdin=subprocess.DEVNULL, pass_fds=(child_reads, child_writes),
            )
        except BaseException:
            for fd in (child_reads, parent_writes, parent_reads, child_writes):
                os.close(fd)
            raise
        os.close(child_reads)
        os.close(child_writes)
        self._proc = proc
        with self._send:
            self._commands = parent_writes
        if self._stop.is_set():  # stopped while starting: the closed pipe tells the child
            self._close_commands()
        try:
            self._read_reports(parent_reads)
        finally:
            os.close(parent_reads)
            self._close_commands()
            proc.wait()

    def _read_reports(self, fd: int) -> None:
        buffer = b""
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                return  # the child has exited
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            head: int | None = None
            for line in lines:
                if line.startswith(b"p "):
                    head = max(head or 0, int(line[2:]))
                elif line == b"ready":
                    log.info("the generation worker process (pid %s) is ready", self.pid)
            if head is not None:  # many appends read at once: one wake for the last
                self._on_appended(head)

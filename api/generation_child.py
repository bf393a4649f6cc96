"""``python -m api.generation_child COMMANDS_FD REPORTS_FD``: the generation worker of a
``learnstream serve`` process, run in a process of its own by
``infrastructure.generation_process`` (which explains the two pipes).

It follows no read model: the serving process does, and tells it when a job is queued or
cancelled. Its settings are the server's (the same environment).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence


def main(argv: Sequence[str]) -> int:
    commands, reports = int(argv[0]), int(argv[1])
    # Ctrl-C in a terminal reaches the whole process group: the server decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_signal)

    from api.bootstrap import Container
    from api.log_format import configure_logging
    from api.wiring.generation import build_generation_worker
    from infrastructure.settings import Settings

    settings = Settings.from_env()
    configure_logging(settings.log_format)
    container = Container.build(settings)
    sending = threading.Lock()

    def report(line: bytes) -> None:
        with sending, contextlib.suppress(OSError):  # the server is gone: its pipe's end stops us
            os.write(reports, line)

    container.events.add_listener(lambda position: report(b"p %d\n" % position))
    worker = build_generation_worker(container)
    worker.start()
    report(b"ready\n")
    try:
        _obey(commands, worker.wake, worker.cancelled)
    finally:
        worker.stop()  # its running jobs are given back, due at once
        container.close()
    return 0


def _obey(fd: int, wake: Callable[[], None], cancelled: Callable[[list[str]], None]) -> None:
    buffer = b""
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return  # the server closed the pipe or died
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if line == b"w":
                wake()
            elif line.startswith(b"c "):
                cancelled(line[2:].decode().split())


def _exit_on_signal(*_: object) -> None:
    raise SystemExit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Reading ahead: the next pages of an export are read by a thread of their own while the
caller turns the current one into records and writes it.

An export alternates between waiting on the database (a page of chain links, then the log
entries they name) and Python work (records, canonical JSON, the output). Run one after the
other, neither overlaps the other; with a reader thread a few pages ahead, the wait happens
while the caller works (the database driver releases the GIL while it waits). Memory stays
bounded: at most ``depth`` pages wait in the queue.

Readers are a few long-lived threads shared by every export (``READERS``), not one thread per
export: the stores keep a connection per thread, so short-lived threads would leave a
connection behind each. When all of them are busy, an export reads its pages itself.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

_ITEM, _END, _ERROR = range(3)
#: a consumer that took nothing for this long is gone (a client that vanished without the
#: response being closed): the reader thread stops instead of waiting for ever
IDLE_SECONDS = 60.0
READERS = 4
#: how long closing an export waits for its reader to let go of the stores
STOP_SECONDS = 30.0

_readers = ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="export-read-ahead")
_free = threading.BoundedSemaphore(READERS)


def _offer(slot: queue.Queue[tuple[int, Any]], item: tuple[int, Any], stop: threading.Event) -> bool:
    waited = 0.0
    while not stop.is_set():
        try:
            slot.put(item, timeout=0.5)
            return True
        except queue.Full:
            waited += 0.5
            if waited >= IDLE_SECONDS:
                return False
    return False


def read_ahead(source: Iterator[T], depth: int = 2) -> Iterator[T]:
    """The items of ``source``, produced by a reader thread up to ``depth`` ahead. An
    error in ``source`` is raised here, at the item it replaced; closing this iterator (or
    dropping it) stops the thread."""
    if not _free.acquire(blocking=False):
        yield from source
        return
    slot: queue.Queue[tuple[int, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in source:
                if not _offer(slot, (_ITEM, item), stop):
                    return
            _offer(slot, (_END, None), stop)
        except BaseException as error:  # handed to the consumer, raised there
            _offer(slot, (_ERROR, error), stop)
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()
            _free.release()

    reader = _readers.submit(produce)
    try:
        while True:
            kind, value = slot.get()
            if kind == _END:
                return
            if kind == _ERROR:
                raise value
            yield value
    finally:
        stop.set()
        # Whoever closed this may close the stores next (a CLI export stopped by an error):
        # the reader is done with them first (it sees ``stop`` within half a second).
        with contextlib.suppress(TimeoutError):
            reader.result(timeout=STOP_SECONDS)

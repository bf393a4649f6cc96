"""Reading an export's pages ahead: same items in the same order, errors raised where they
happened, a reader freed when the caller stops early, and inline reading once every reader is
busy."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from application import audit_export_prefetch as ahead


def counted(n: int, log: list[str] | None = None) -> Iterator[int]:
    for i in range(n):
        if log is not None:
            log.append(threading.current_thread().name)
        yield i


def test_items_come_in_order_from_a_reader_thread():
    names: list[str] = []
    assert list(ahead.read_ahead(counted(50, names))) == list(range(50))
    assert names and all(name.startswith("export-read-ahead") for name in names)


def test_an_error_is_raised_at_the_item_it_replaced():
    def failing() -> Iterator[int]:
        yield 1
        raise RuntimeError("the database went away")

    got = []
    with pytest.raises(RuntimeError, match="went away"):
        for item in ahead.read_ahead(failing()):
            got.append(item)
    assert got == [1]


def test_stopping_early_frees_the_reader():
    closed = threading.Event()

    def endless() -> Iterator[int]:
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    pages = ahead.read_ahead(endless())
    assert next(pages) == 0
    pages.close()
    assert closed.wait(5), "the reader kept going after the caller stopped"
    deadline = time.monotonic() + 5
    while ahead._free._value < ahead.READERS and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.01)
    assert ahead._free._value == ahead.READERS  # type: ignore[attr-defined]


def test_with_every_reader_busy_an_export_reads_its_own_pages():
    busy = [ahead.read_ahead(counted(10**6)) for _ in range(ahead.READERS)]
    for pages in busy:
        next(pages)
    names: list[str] = []
    assert list(ahead.read_ahead(counted(5, names))) == list(range(5))
    assert names == [threading.current_thread().name] * 5
    for pages in busy:
        pages.close()


def test_once_closed_the_reader_no_longer_reads_so_the_stores_may_be_closed():
    reading = threading.Event()
    state = {"finished": False}

    def slow_pages() -> Iterator[int]:
        try:
            for i in range(100):
                reading.set()
                time.sleep(0.05)  # a page being read from the database
                yield i
        finally:
            state["finished"] = True

    pages = ahead.read_ahead(slow_pages())
    assert next(pages) == 0
    pages.close()  # an export stopped by an error; its command closes the stores next
    assert state["finished"]

"""Cached reads: served from memory while their read models stay put, recomputed as soon as a
batch changes one of them, never cached for read models another process follows."""

from __future__ import annotations

from typing import Any

from projections.engine.positions import PositionBoard
from projections.engine.read_cache import ReadCache


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls


def _board() -> PositionBoard:
    # Only the in-process side of the board is used here: it never touches the store.
    store: Any = None
    return PositionBoard(store)


def test_a_result_is_kept_until_a_read_model_it_read_changes() -> None:
    board = _board()
    board.publish("catalog", 10)
    board.publish("identity", 10)
    cache, compute = ReadCache(board), Counter()
    reads = ("catalog", "identity")
    assert cache.get("page", reads, compute) == 1
    assert cache.get("page", reads, compute) == 1
    board.publish("catalog", 11, changed=False)  # the log moved past events it ignores
    board.publish("identity", 12, changed=False)
    assert cache.get("page", reads, compute) == 1
    board.publish("identity", 13, changed=True)
    assert cache.get("page", reads, compute) == 2
    assert cache.get("page", reads, compute) == 2
    assert cache.get("other key", reads, compute) == 3


def test_read_models_of_another_process_are_never_cached() -> None:
    board = _board()
    board.publish("catalog", 5)
    cache, compute = ReadCache(board), Counter()
    assert cache.get("k", ("catalog", "search"), compute) == 1  # search is not followed here
    assert cache.get("k", ("catalog", "search"), compute) == 2
    board.forget("catalog")  # its lock went to another process
    assert cache.get("c", ("catalog",), compute) == 3
    assert cache.get("c", ("catalog",), compute) == 4


def test_the_cache_stays_bounded() -> None:
    board = _board()
    board.publish("catalog", 1)
    cache = ReadCache(board, max_entries=3)
    for key in range(10):
        cache.get(key, ("catalog",), lambda key=key: key)
    assert len(cache._entries) <= 3
    assert cache.get(9, ("catalog",), lambda: -1) == 9

"""A rebuild's fill collects garbage less often, and gives the process its own thresholds back
when the last overlapping fill ends, also when one fails."""

from __future__ import annotations

import gc

import pytest

from infrastructure.bulk_collection import THRESHOLDS, bulk_collection


@pytest.fixture(autouse=True)
def process_thresholds():
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


def test_thresholds_are_raised_inside_and_restored_after() -> None:
    with bulk_collection():
        assert gc.get_threshold() == THRESHOLDS
    assert gc.get_threshold() == (700, 10, 10)


def test_overlapping_fills_restore_only_when_the_last_one_ends() -> None:
    outer = bulk_collection()
    outer.__enter__()
    with bulk_collection():
        assert gc.get_threshold() == THRESHOLDS
    assert gc.get_threshold() == THRESHOLDS  # the outer fill still runs
    outer.__exit__(None, None, None)
    assert gc.get_threshold() == (700, 10, 10)


def test_a_failing_fill_restores_them_too() -> None:
    with pytest.raises(RuntimeError), bulk_collection():
        raise RuntimeError("batch failed")
    assert gc.get_threshold() == (700, 10, 10)


def test_a_process_with_higher_thresholds_keeps_them() -> None:
    gc.set_threshold(500_000, 5, 5)
    with bulk_collection():
        assert gc.get_threshold() == (500_000, 50, 100)
    assert gc.get_threshold() == (500_000, 5, 5)

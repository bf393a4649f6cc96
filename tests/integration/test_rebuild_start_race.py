"""Two processes starting together find the same read model due for a rebuild: one begins it,
the other leaves it to that one (and waits for its switch) instead of dying at start."""

from __future__ import annotations

from typing import Any

import pytest

from projections.engine.rebuild_state import FOLLOWER, RebuildTakenOver, begin, discard, pending


def test_the_second_process_to_begin_a_rebuild_is_told_another_has_it(container: Any) -> None:
    projection = container.projections["collections"]
    row, _ = begin(projection, FOLLOWER, 0)  # the first process to start
    try:
        with pytest.raises(RebuildTakenOver):
            begin(projection, FOLLOWER, 0)  # the second, which found nothing pending a moment before
        assert pending(container.read_store, projection) == row  # the first one's rebuild stands
    finally:
        discard(projection, row)

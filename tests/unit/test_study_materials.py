"""Study materials: the checks' thresholds, the best attempt kept, flags, one piece per concept."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.errors import Conflict
from domain.study_materials import (
    LOW_BLOOM,
    LOW_BOTH,
    LOW_QUALITY,
    Attempt,
    StudyMaterials,
    best,
    materials_id,
    quality_flag,
)

NOW = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("bloom", "quality", "flag"), [
    (0.75, 0.70, None), (0.74, 0.70, LOW_BLOOM), (0.75, 0.69, LOW_QUALITY), (0.5, 0.5, LOW_BOTH),
])
def test_bloom_at_least_075_and_quality_at_least_070_pass(bloom, quality, flag):
    assert quality_flag(bloom, quality) == flag


def test_the_first_passing_attempt_is_kept_else_the_closest():
    failing = Attempt({"n": 1}, 0.5, 0.9)
    closer = Attempt({"n": 2}, 0.7, 0.9)
    passing = Attempt({"n": 3}, 0.8, 0.8)
    assert best([failing, closer]) is closer
    assert best([failing, passing, Attempt({"n": 4}, 0.9, 0.9)]) is passing


def test_materials_record_one_piece_per_concept_then_are_ready():
    m = StudyMaterials.start("s1", "u1", None, "backend_engineering", ["a", "b", "a"], NOW)
    assert m.id == materials_id("s1") and m.due == ["a", "b"]
    m.record("a", [Attempt({"x": 1}, 0.5, 0.5), Attempt({"x": 2}, 0.8, 0.9)], "offline", NOW)
    with pytest.raises(Conflict):
        m.record("a", [Attempt({}, 1, 1)], "offline", NOW)
    with pytest.raises(Conflict):
        m.finish(NOW)
    m.record("b", [Attempt({"y": 1}, 0.1, 0.1)] * 3, "offline", NOW)
    m.finish(NOW)
    events = m.collect_events()
    written = [e for e in events if isinstance(e, StudyMaterials.MaterialWritten)]
    assert [(e.concept_id, e.iteration_count, e.quality_flag, e.material) for e in written] == [
        ("a", 2, None, {"x": 2}), ("b", 3, LOW_BOTH, {"y": 1}),
    ]
    ready = events[-1]
    assert isinstance(ready, StudyMaterials.MaterialsReady)
    assert (ready.count, ready.flagged, ready.session_id) == (2, 1, "s1")

"""The materials pipeline on a real store (SQLite and PostgreSQL), its background worker off:
pieces that fail validation are rewritten and flagged, a run that dies resumes after the last
concept it recorded, and a dead worker's lease is taken over."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from application.material_writers import OfflineMaterialWriter, Verdict
from application.materials import MaterialsPipeline
from domain.study_materials import LOW_BOTH, StudyMaterials, materials_id
from infrastructure.materials_queue import MaterialsQueue
from tests.api.assessment_support import sign_up
from tests.api.results_support import complete, logged, wait_for


@pytest.fixture
def settings_env(settings_env: dict[str, str]) -> dict[str, str]:
    settings_env["LEARNSTREAM_ASSESSMENT_MATERIALS_WORKER"] = "0"
    settings_env["LEARNSTREAM_ASSESSMENT_MATERIALS_POLL_SECONDS"] = "0.05"
    return settings_env


class FailsFirst:
    """A validator that judges the first ``n`` attempts of every concept too weak."""

    name = "test:fails-first"

    def __init__(self, n: int) -> None:
        self.n = n
        self.seen: dict[str, int] = {}
        self.feedback: list[str] = []

    async def validate(self, concept: Any, target: Any, material: dict[str, Any]) -> Verdict:
        self.seen[concept.id] = self.seen.get(concept.id, 0) + 1
        if self.seen[concept.id] <= self.n:
            return Verdict(0.5 + 0.05 * self.seen[concept.id], 0.4, f"attempt {self.seen[concept.id]} too weak")
        return Verdict(0.9, 0.85)


class RecordingWriter(OfflineMaterialWriter):
    def __init__(self, fail_after: int | None = None) -> None:
        self.calls: list[tuple[str, int, str]] = []
        self.fail_after = fail_after

    async def write(self, concept: Any, target: Any, attempt: int, feedback: str) -> dict[str, Any]:
        if self.fail_after is not None and len({c for c, _, _ in self.calls}) >= self.fail_after \
                and concept.id not in {c for c, _, _ in self.calls}:
            raise RuntimeError("the writer died")
        self.calls.append((concept.id, attempt, feedback))
        return await super().write(concept, target, attempt, feedback)


def pipeline(container: Any, writer: Any, validator: Any) -> MaterialsPipeline:
    return MaterialsPipeline(container.events, container.assessments._kb,
                             lambda user, offline: (writer, validator), time.time, concurrency=1)


def written(container: Any, sid: str) -> list[Any]:
    return logged(container, StudyMaterials.MaterialWritten, str(materials_id(sid)))


def test_a_validator_that_fails_twice_gets_a_third_attempt_that_passes(client, container):
    me = sign_up(client, "thrice@example.com")
    sid = complete(client, me, pattern="w")["sessionId"]
    writer, validator = RecordingWriter(), FailsFirst(2)
    assert asyncio.run(pipeline(container, writer, validator).run(sid))
    pieces = written(container, sid)
    assert pieces and all(p.iteration_count == 3 and p.quality_flag is None for p in pieces)
    assert all((p.bloom_score, p.quality_score) == (0.9, 0.85) for p in pieces)
    first = pieces[0].concept_id
    # each rewrite is told what the validator found lacking
    assert [(a, f) for c, a, f in writer.calls if c == first] == [
        (1, ""), (2, "attempt 1 too weak"), (3, "attempt 2 too weak")]
    listed = wait_for(lambda: client.get(f"/api/materials/{sid}", headers=me).json()["materials"])
    assert [m["iterationCount"] for m in listed] == [3] * len(pieces)


def test_a_piece_that_never_passes_is_kept_after_three_attempts_and_flagged(client, container):
    me = sign_up(client, "flagged@example.com")
    sid = complete(client, me, pattern="w")["sessionId"]
    writer, validator = RecordingWriter(), FailsFirst(99)
    asyncio.run(pipeline(container, writer, validator).run(sid))
    pieces = written(container, sid)
    assert all(p.iteration_count == 3 and p.quality_flag == LOW_BOTH for p in pieces)
    # the best of the three attempts is kept: the last one scored highest here
    assert all(p.bloom_score == 0.65 for p in pieces)
    (ready,) = logged(container, StudyMaterials.MaterialsReady)
    assert ready.flagged == ready.count == len(pieces)
    listed = wait_for(lambda: client.get(f"/api/materials/{sid}", headers=me).json()["materials"])
    assert {m["qualityFlag"] for m in listed} == {LOW_BOTH}


def test_a_run_that_dies_resumes_after_the_last_recorded_concept(client, container):
    me = sign_up(client, "resumed@example.com")
    sid = complete(client, me, pattern="w")["sessionId"]
    dying = RecordingWriter(fail_after=1)
    with pytest.raises(RuntimeError, match="the writer died"):
        asyncio.run(pipeline(container, dying, FailsFirst(0)).run(sid))
    before = written(container, sid)
    assert len(before) == 1 and not logged(container, StudyMaterials.MaterialsReady)
    again = RecordingWriter()
    asyncio.run(pipeline(container, again, FailsFirst(0)).run(sid))
    after = written(container, sid)
    concepts = [p.concept_id for p in after]
    assert len(concepts) == len(set(concepts)) > 1
    assert before[0].concept_id not in {c for c, _, _ in again.calls}
    assert len(logged(container, StudyMaterials.MaterialsReady)) == 1


def test_a_dead_workers_lease_is_taken_over(client, container):
    me = sign_up(client, "leased@example.com")
    sid = complete(client, me, pattern="w")["sessionId"]
    queue = MaterialsQueue(container.read_models.assessment_results)
    now = int(time.time() * 1000)
    assert queue.claim("dead-worker", now, 10, lease_ms=500) == [sid]
    assert queue.claim("other", now, 10, lease_ms=500) == []  # leased: nobody else takes it
    worker = container.materials_worker
    worker.wake()
    try:
        ready = wait_for(lambda: client.get(f"/api/materials/{sid}", headers=me).json()["materials"])
    finally:
        worker.stop()
    assert ready and queue.waiting() == 0

"""Learning material for a completed assessment: one piece per gap concept.

``StudyMaterials`` is one aggregate per session (its id derives from the session's), written by
the materials pipeline in the background: started with the concepts to cover, one
``MaterialWritten`` per concept as soon as it is done (so a pipeline that dies resumes after the
last concept it finished), then ``MaterialsReady``.

A written piece is validated for Bloom alignment and quality and rewritten while it falls short,
``MAX_ITERATIONS`` attempts in all; the best attempt is kept, flagged when it still falls short.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import Conflict

BLOOM_MIN = 0.75
QUALITY_MIN = 0.70
#: attempts per concept, the first included
MAX_ITERATIONS = 3

LOW_BLOOM = "low_bloom_alignment"
LOW_QUALITY = "low_quality"
LOW_BOTH = "low_bloom_alignment_and_quality"

_MATERIALS = UUID("6f1d2c1e-7a43-4f0e-9a55-3c2b8d1e0a17")


def materials_id(session_id: UUID | str) -> UUID:
    return uuid5(_MATERIALS, str(session_id))


def quality_flag(bloom_score: float, quality_score: float) -> str | None:
    """None when the piece passes both checks; else which one it fails."""
    low_bloom = bloom_score < BLOOM_MIN
    low_quality = quality_score < QUALITY_MIN
    if low_bloom and low_quality:
        return LOW_BOTH
    if low_bloom:
        return LOW_BLOOM
    if low_quality:
        return LOW_QUALITY
    return None


def shortfall(bloom_score: float, quality_score: float) -> float:
    """How far an attempt is from passing (0 when it passes): the best attempt has the least."""
    return max(0.0, BLOOM_MIN - bloom_score) + max(0.0, QUALITY_MIN - quality_score)


@dataclass(frozen=True, slots=True)
class Attempt:
    material: dict[str, Any]
    bloom_score: float
    quality_score: float
    feedback: str = ""

    @property
    def passes(self) -> bool:
        return quality_flag(self.bloom_score, self.quality_score) is None


def best(attempts: list[Attempt]) -> Attempt:
    """The first attempt that passes, else the one that falls short by the least (earliest
    on a tie)."""
    return min(attempts, key=lambda a: shortfall(a.bloom_score, a.quality_score))


class StudyMaterials(Aggregate):
    class MaterialsStarted(Aggregate.Created):
        session_id: str
        user_id: str
        org_id: str | None
        domain: str
        concept_ids: list[str]

    def __init__(
        self, session_id: str, user_id: str, org_id: str | None, domain: str,
        concept_ids: list[str],
    ) -> None:
        self.session_id = session_id
        self.user_id = user_id
        self.org_id = org_id
        self.domain = domain
        self.concept_ids = list(concept_ids)
        self.written: dict[str, int] = {}
        self.flagged = 0
        self.ready = False

    @classmethod
    def start(
        cls, session_id: str, user_id: str, org_id: str | None, domain: str,
        concept_ids: list[str], at: datetime,
    ) -> StudyMaterials:
        return cls._create(
            cls.MaterialsStarted, id=materials_id(session_id), timestamp=at,
            session_id=session_id, user_id=user_id, org_id=org_id, domain=domain,
            concept_ids=list(dict.fromkeys(concept_ids)),
        )

    class MaterialWritten(Aggregate.Event):
        session_id: str
        concept_id: str
        domain: str
        bloom_score: float
        quality_score: float
        iteration_count: int
        quality_flag: str | None
        #: ``{concept_id, target_bloom, sections}`` as the seed shows it
        material: dict[str, Any]
        generator: str

        def apply(self, aggregate: StudyMaterials) -> None:
            aggregate.written[self.concept_id] = self.iteration_count
            if self.quality_flag is not None:
                aggregate.flagged += 1

    def record(self, concept_id: str, attempts: list[Attempt], generator: str, at: datetime) -> None:
        if self.ready:
            raise Conflict("The materials are complete")
        if concept_id not in self.concept_ids or concept_id in self.written:
            raise Conflict(f"No material is due for {concept_id}")
        if not attempts:
            raise ValueError("a material needs at least one attempt")
        kept = best(attempts)
        self.trigger_event(
            self.MaterialWritten, timestamp=at, session_id=self.session_id, concept_id=concept_id,
            domain=self.domain,
            bloom_score=round(kept.bloom_score, 4), quality_score=round(kept.quality_score, 4),
            iteration_count=len(attempts),
            quality_flag=quality_flag(kept.bloom_score, kept.quality_score),
            material=kept.material, generator=generator,
        )

    class MaterialsReady(Aggregate.Event):
        session_id: str
        user_id: str
        org_id: str | None
        count: int
        flagged: int

        def apply(self, aggregate: StudyMaterials) -> None:
            aggregate.ready = True

    def finish(self, at: datetime) -> None:
        if self.ready:
            return
        if self.due:
            raise Conflict("Materials are still being written")
        self.trigger_event(
            self.MaterialsReady, timestamp=at, session_id=self.session_id, user_id=self.user_id,
            org_id=self.org_id, count=len(self.written), flagged=self.flagged,
        )

    @property
    def due(self) -> list[str]:
        """The concepts still without material, in order."""
        return [c for c in self.concept_ids if c not in self.written]

"""The offline material writer and validator: deterministic, the seed's three sections, and
they say what they are — in their names and in the text the learner reads."""

from __future__ import annotations

import asyncio

import pytest

from application.material_writers import (
    OFFLINE_NOTE,
    OfflineMaterialValidator,
    OfflineMaterialWriter,
)
from domain.knowledge import BloomLevel
from infrastructure.knowledge_base import load_knowledge_base

KB = load_knowledge_base()
CONCEPTS = [r.concepts[i] for r in KB.roles for i in (0, len(r.concepts) // 2, -1)]


@pytest.mark.parametrize("concept", CONCEPTS, ids=lambda c: c.id)
def test_the_same_concept_gives_the_same_piece_and_verdict_and_says_it_is_offline(concept):
    writer, validator = OfflineMaterialWriter(), OfflineMaterialValidator()
    assert writer.name.startswith("offline:") and validator.name.startswith("offline:")

    async def one() -> tuple[dict, object]:
        piece = await writer.write(concept, concept.bloom_target, 1, "")
        return piece, await validator.validate(concept, concept.bloom_target, piece)

    first, second = asyncio.run(one()), asyncio.run(one())
    assert first == second
    piece, verdict = first
    assert piece["concept_id"] == concept.id and piece["target_bloom"] == int(concept.bloom_target)
    assert [s["type"] for s in piece["sections"]] == ["explanation", "code_example", "quiz"]
    assert piece["sections"][0]["body"].endswith(OFFLINE_NOTE)
    assert "without a language model" in OFFLINE_NOTE
    assert piece["sections"][1]["codeBlock"] and piece["sections"][2]["answer"]
    assert 0.0 <= verdict.bloom_score <= 1.0 and 0.0 <= verdict.quality_score <= 1.0


def test_the_validator_marks_down_missing_key_points_and_empty_sections():
    concept = KB.concept("http_fundamentals")
    validator = OfflineMaterialValidator()
    piece = asyncio.run(OfflineMaterialWriter().write(concept, BloomLevel.REMEMBER, 1, ""))
    gutted = {**piece, "sections": [{"type": s["type"], "title": s["title"], "body": "x"}
                                    for s in piece["sections"]]}
    full = asyncio.run(validator.validate(concept, BloomLevel.REMEMBER, piece))
    poor = asyncio.run(validator.validate(concept, BloomLevel.REMEMBER, gutted))
    assert poor.quality_score < 0.7 <= full.quality_score
    assert "Cover these key points" in poor.feedback and "codeBlock" in poor.feedback

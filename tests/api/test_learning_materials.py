"""Seed 002's learning materials: written in the background when a session completes (one per gap
concept, offline here), listed by ``GET /api/materials/{id}`` with the seed's fields (empty while
running), announced by the ``materials_ready`` webhook."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from application.webhook_schemas import EVENT_TYPES
from domain.study_materials import StudyMaterials
from infrastructure.knowledge_base import load_knowledge_base
from tests.api.assessment_support import sign_up, start
from tests.api.results_support import complete, logged, wait_for
from tests.api.test_webhooks_learning_events import conforms, ok
from tests.integration.webhook_receiver import Receiver

KB = load_knowledge_base()


@pytest.fixture(autouse=True)
def _allow_loopback(settings_env: dict[str, str]) -> None:
    settings_env["LEARNSTREAM_WEBHOOKS_ALLOW_PRIVATE"] = "1"
    settings_env["LEARNSTREAM_WEBHOOKS_POLL_SECONDS"] = "0.2"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def test_materials_are_written_for_every_gap_concept_and_announced(api: Any, container: Any, receiver: Receiver) -> None:
    client = api.client
    hook = ok(client.post("/api/v1/orgs/1/webhooks/", json={"url": receiver.url, "events": ["materials_ready"]},
                          headers=api.admin()))
    receiver.secrets = [hook["secret"]]
    client.cookies.clear()
    me = sign_up(client, "learner@example.com")
    sid = complete(client, me)["sessionId"]
    materials = wait_for(lambda: client.get(f"/api/materials/{sid}", headers=me).json()["materials"])
    assert materials, "materials were not written"
    gaps = client.get(f"/api/assessment/{sid}/report", headers=me).json()["gapAnalysis"]["gaps"]
    assert [m["conceptId"] for m in materials] == [g["skillId"] for g in gaps]
    for m in materials:
        assert list(m) == ["conceptId", "domain", "bloomScore", "qualityScore", "iterationCount",
                           "qualityFlag", "material", "generatedAt"]
        concept = KB.concept(m["conceptId"])
        assert m["domain"] == "backend_engineering"
        assert m["bloomScore"] >= 0.75 and m["qualityScore"] >= 0.70 and m["qualityFlag"] is None
        assert m["iterationCount"] == 1 and m["generatedAt"].endswith("Z")
        body = m["material"]
        assert body["concept_id"] == concept.id and body["target_bloom"] == int(concept.bloom_target)
        sections = body["sections"]
        assert [s["type"] for s in sections] == ["explanation", "code_example", "quiz"]
        assert set(sections[0]) == {"type", "title", "body"}
        assert set(sections[1]) == {"type", "title", "body", "codeBlock"}
        assert set(sections[2]) == {"type", "title", "body", "answer"}
        assert concept.description in sections[0]["body"]
    response = client.get(f"/api/materials/{sid}", headers=me).json()
    assert list(response) == ["sessionId", "materials"] and response["sessionId"] == sid

    (delivered,) = receiver.wait_for(1, timeout=60)
    assert delivered.body["event"] == "materials_ready" and delivered.body["org_id"] == 1
    data = delivered.body["data"]
    conforms(data, EVENT_TYPES["materials_ready"].data, "materials_ready.data")
    assert data["assessment"] == {"session_id": sid}
    assert data["materials"] == len(materials) and data["flagged"] == 0
    assert data["user"]["email"] == "learner@example.com"
    assert len(logged(container, StudyMaterials.MaterialsReady)) == 1


def test_materials_of_a_running_session_are_an_empty_list_and_strangers_are_refused(client: Any) -> None:
    me = sign_up(client, "early@example.com")
    other = sign_up(client, "nosy@example.com")
    sid = start(client, me, skillIds=["python"])["sessionId"]
    assert client.get(f"/api/materials/{sid}", headers=me).json() == {"sessionId": sid, "materials": []}
    refused = client.get(f"/api/materials/{sid}", headers=other)
    assert refused.status_code == 403 and refused.json()["detail"] == "Not your session"
    missing = client.get("/api/materials/3f2c1a52-0000-4000-8000-000000000000", headers=me)
    assert missing.status_code == 404 and missing.json()["detail"] == "Session not found"
    assert client.get(f"/api/materials/{sid}").status_code == 401

"""Seed 002's knowledge-base routes: skills, roles, a role, its concepts up to a level."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)  # read-only routes over immutable data: one store is enough


def test_skills_taxonomy_has_the_seed_fields_and_categories(client):
    body = client.get("/api/skills").json()
    assert len(body["skills"]) >= 30
    assert set(body["skills"][0]) == {"id", "name", "category", "icon", "description", "subSkills"}
    assert {"Backend", "Frontend", "DevOps"} <= set(body["categories"])
    assert {s["category"] for s in body["skills"]} <= set(body["categories"])


def test_roles_list_backend_frontend_and_devops_with_skill_counts_and_levels(client):
    roles = {r["id"]: r for r in client.get("/api/roles").json()}
    assert {"backend_engineering", "frontend_engineering", "devops_engineering"} <= set(roles)
    backend = roles["backend_engineering"]
    assert backend["name"] == "Backend Engineer"
    assert backend["levels"] == ["junior", "mid", "senior", "staff"]
    assert backend["skillCount"] == len(client.get("/api/roles/backend_engineering").json()["mappedSkillIds"])


def test_a_role_has_mapped_skills_and_concept_counts_per_level(client):
    role = client.get("/api/roles/frontend_engineering").json()
    assert set(role) == {"id", "name", "description", "mappedSkillIds", "levels"}
    assert [lv["name"] for lv in role["levels"]] == ["junior", "mid", "senior", "staff"]
    assert all(lv["conceptCount"] >= 12 for lv in role["levels"])


def test_an_unknown_role_is_404_with_the_seed_text(client):
    response = client.get("/api/roles/unknown_role")
    assert response.status_code == 404
    assert response.json()["detail"] == "Role not found: unknown_role"
    assert client.get("/api/roles/unknown_role/concepts").status_code == 404


def test_concepts_up_to_a_level_prerequisites_first_in_a_stable_order(client):
    mid = client.get("/api/roles/backend_engineering/concepts").json()["concepts"]
    assert mid == client.get("/api/roles/backend_engineering/concepts?level=mid").json()["concepts"]
    assert {c["level"] for c in mid} == {"junior", "mid"}
    assert set(mid[0]) == {"id", "displayName", "level", "prerequisites"}
    seen: set[str] = set()
    for concept in mid:
        assert set(concept["prerequisites"]) <= seen, concept["id"]
        seen.add(concept["id"])
    staff = client.get("/api/roles/backend_engineering/concepts?level=staff").json()["concepts"]
    assert staff[: len(mid)] == mid and len(staff) > len(mid)


def test_an_invalid_level_is_400_with_the_seed_text(client):
    response = client.get("/api/roles/backend_engineering/concepts?level=unknown")
    assert response.status_code == 400
    assert response.json()["detail"] == "Invalid level: unknown"

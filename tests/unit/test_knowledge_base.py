"""The shipped knowledge base: it loads, its concepts come prerequisites first, and the Knowledge
service answers in the seed's shapes (``/api/skills``, ``/api/roles``, ``/api/roles/{id}``,
``/api/roles/{id}/concepts``)."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from application.knowledge import Knowledge
from domain.errors import NotFound, RuleBroken
from domain.knowledge import (
    BloomLevel,
    Concept,
    KeyPoint,
    KnowledgeBase,
    Level,
    Question,
    Role,
    Rubric,
    Skill,
)
from infrastructure.knowledge_base import load_knowledge_base
from infrastructure.knowledge_base.loader import HERE

BACKEND = "backend_engineering"
ROLE_IDS = sorted(p.stem for p in (HERE / "roles").glob("*.toml"))


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture(scope="module")
def knowledge(kb: KnowledgeBase) -> Knowledge:
    return Knowledge(kb)


def _wire(value: object) -> object:
    return msgspec.json.decode(msgspec.json.encode(value))


# --- the shipped files ---------------------------------------------------------------------


def test_the_shipped_files_load_with_every_role_file(kb: KnowledgeBase) -> None:
    assert BACKEND in ROLE_IDS
    assert [r.id for r in kb.roles] == ROLE_IDS
    assert len(kb.skills) >= 36
    assert {"Backend", "Frontend", "DevOps"} <= set(kb.categories)


@pytest.mark.parametrize("role_id", ROLE_IDS)
def test_each_role_maps_at_least_ten_known_skills(kb: KnowledgeBase, role_id: str) -> None:
    role = kb.role(role_id)
    assert len(role.mapped_skills) >= 10
    assert all(kb.has_skill(s) for s in role.mapped_skills)


@pytest.mark.parametrize("role_id", ROLE_IDS)
def test_concepts_come_prerequisites_first_at_every_level(kb: KnowledgeBase, role_id: str) -> None:
    for level in Level:
        ordered = kb.concepts_up_to(role_id, level)
        seen: set[str] = set()
        for concept in ordered:
            assert concept.level <= level
            assert set(concept.prerequisites) <= seen, concept.id
            seen.add(concept.id)
        assert len(ordered) == sum(
            len(kb.role(role_id).concepts_at(lv)) for lv in Level if lv <= level
        )


@pytest.mark.parametrize("role_id", ROLE_IDS)
def test_the_order_is_the_same_on_every_load(kb: KnowledgeBase, role_id: str) -> None:
    again = load_knowledge_base()
    first = [c.id for c in kb.concepts_up_to(role_id, Level.STAFF)]
    assert [c.id for c in again.concepts_up_to(role_id, Level.STAFF)] == first
    # A lower level's answer is the start of a higher level's answer.
    assert first[: len(kb.concepts_up_to(role_id, "mid"))] == [
        c.id for c in kb.concepts_up_to(role_id, "mid")
    ]


def test_the_backend_role_is_complete(kb: KnowledgeBase) -> None:
    role = kb.role(BACKEND)
    assert role.levels == tuple(Level)
    assert all(len(role.concepts_at(lv)) >= 13 for lv in Level)
    evidenced = {s for c in role.concepts for s in c.skills}
    assert evidenced == set(role.mapped_skills)
    # Prerequisites reach across levels, not only within one.
    crossing = [
        c for c in role.concepts if any(role.concept(p).level < c.level for p in c.prerequisites)
    ]
    assert len(crossing) >= 20
    for concept in role.concepts:
        assert 3 <= len(concept.key_points) <= 5
        assert min(q.bloom for q in concept.questions) <= concept.bloom_target


def test_the_seed_example_concepts_exist_with_their_prerequisites(kb: KnowledgeBase) -> None:
    assert kb.concept("http_fundamentals").prerequisites == ()
    assert kb.concept("http_fundamentals").level is Level.JUNIOR
    rest = kb.concept("rest_api_design")
    assert rest.level is Level.MID
    assert "http_fundamentals" in rest.prerequisites


def test_the_packaged_data_files_are_declared() -> None:
    pyproject = (Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"infrastructure.knowledge_base" = ["*.toml", "roles/*.toml"]' in pyproject


# --- ordering and selection rules on a small base -------------------------------------------


def _c(
    cid: str, level: Level, prerequisites: tuple[str, ...] = (), skills: tuple[str, ...] = ("a",)
) -> Concept:
    return Concept(
        id=cid,
        name=cid,
        level=level,
        prerequisites=prerequisites,
        skills=skills,
        target_confidence=0.7,
        bloom_target=BloomLevel.APPLY,
        study_hours=1.0,
        description=cid,
        key_points=(KeyPoint("k", ("x", "y")),),
        rubric=Rubric("s", "p", "w"),
        questions=(Question(BloomLevel.UNDERSTAND, "q"),),
    )


def _small() -> KnowledgeBase:
    concepts = (
        _c("design", Level.MID, ("http",), ("api",)),
        _c("sql", Level.JUNIOR, (), ("db",)),
        _c("versioning", Level.SENIOR, ("design",), ("api",)),
        _c("http", Level.JUNIOR, (), ("api",)),
        _c("indexes", Level.MID, ("sql",), ("db",)),
        _c("basics", Level.JUNIOR, ("http",), ("api",)),
    )
    skills = tuple(Skill(s, s, "Backend", s, s) for s in ("api", "db", "ui", "k8s"))
    web = Role("web", "Web", "d", tuple(Level), ("api", "db"), concepts)
    ui = Role("ui", "UI", "d", tuple(Level), ("ui", "api", "db"), ())
    ops = Role("ops", "Ops", "d", tuple(Level), ("k8s", "db"), ())
    return KnowledgeBase(("Backend",), skills, (web, ui, ops))


def test_ties_go_to_the_lower_level_then_to_file_order() -> None:
    order = [c.id for c in _small().concepts_up_to("web", Level.STAFF)]
    assert order == ["sql", "http", "basics", "design", "indexes", "versioning"]


def test_concepts_up_to_a_level_leave_out_higher_levels() -> None:
    assert [c.id for c in _small().concepts_up_to("web", "junior")] == ["sql", "http", "basics"]


def test_concepts_for_skills_bring_their_prerequisites() -> None:
    picked = [c.id for c in _small().concepts_for_skills("web", ["db"], Level.STAFF)]
    assert picked == ["sql", "indexes"]
    picked = [c.id for c in _small().concepts_for_skills("web", ["api"], "mid")]
    assert picked == ["http", "basics", "design"]
    assert _small().concepts_for_skills("web", ["k8s"], "staff") == ()


def test_roles_for_skills_prefers_the_widest_then_the_most_focused_cover() -> None:
    kb = _small()
    assert [r.id for r in kb.roles_for_skills(["api", "db"])] == ["web", "ui"]
    assert [r.id for r in kb.roles_for_skills(["ui"])] == ["ui"]
    # web and ops map two skills each: the id decides.
    assert [r.id for r in kb.roles_for_skills(["db"])] == ["ops", "web", "ui"]
    assert kb.roles_for_skills(["cobol"]) == ()


def test_levels_and_bloom_levels_are_ordered_and_named() -> None:
    assert Level.JUNIOR < Level.MID < Level.SENIOR < Level.STAFF
    assert Level.parse("senior") is Level.SENIOR and Level.SENIOR.label == "senior"
    assert [b.label for b in BloomLevel] == [
        "remember",
        "understand",
        "apply",
        "analyze",
        "evaluate",
        "create",
    ]
    assert BloomLevel.parse("evaluate") == 5
    with pytest.raises(RuleBroken, match="Invalid level: Senior"):
        Level.parse("Senior")


# --- the Knowledge service in the seed's shapes ---------------------------------------------


def test_skills_response_shape(knowledge: Knowledge, kb: KnowledgeBase) -> None:
    body = _wire(knowledge.skills())
    assert isinstance(body, dict) and set(body) == {"skills", "categories"}
    assert body["categories"] == list(kb.categories)
    first = body["skills"][0]
    assert set(first) == {"id", "name", "category", "icon", "description", "subSkills"}
    assert first["id"] == kb.skills[0].id and isinstance(first["subSkills"], list)


def test_roles_response_shape(knowledge: Knowledge, kb: KnowledgeBase) -> None:
    body = _wire(knowledge.roles())
    assert isinstance(body, list) and [r["id"] for r in body] == ROLE_IDS
    backend = next(r for r in body if r["id"] == BACKEND)
    assert backend == {
        "id": BACKEND,
        "name": "Backend Engineer",
        "description": "Backend engineering concepts from junior to staff level",
        "skillCount": len(kb.role(BACKEND).mapped_skills),
        "levels": ["junior", "mid", "senior", "staff"],
    }


def test_role_detail_counts_concepts_at_each_level(knowledge: Knowledge, kb: KnowledgeBase) -> None:
    body = _wire(knowledge.role(BACKEND))
    assert isinstance(body, dict)
    assert set(body) == {"id", "name", "description", "mappedSkillIds", "levels"}
    assert body["mappedSkillIds"] == list(kb.role(BACKEND).mapped_skills)
    assert [lv["name"] for lv in body["levels"]] == ["junior", "mid", "senior", "staff"]
    counts = {lv["name"]: lv["conceptCount"] for lv in body["levels"]}
    assert sum(counts.values()) == len(kb.role(BACKEND).concepts)
    assert counts["junior"] == sum(1 for c in kb.role(BACKEND).concepts if c.level is Level.JUNIOR)


def test_unknown_role_is_not_found(knowledge: Knowledge) -> None:
    with pytest.raises(NotFound, match=r"^Role not found: unknown_role$"):
        knowledge.role("unknown_role")
    with pytest.raises(NotFound, match=r"^Role not found: unknown_role$"):
        knowledge.concepts("unknown_role", "mid")


def test_concepts_default_to_mid_in_prerequisite_order(knowledge: Knowledge) -> None:
    body = _wire(knowledge.concepts(BACKEND))
    assert isinstance(body, dict) and list(body) == ["concepts"]
    concepts = body["concepts"]
    assert {c["level"] for c in concepts} == {"junior", "mid"}
    assert set(concepts[0]) == {"id", "displayName", "level", "prerequisites"}
    http = next(c for c in concepts if c["id"] == "http_fundamentals")
    assert http == {
        "id": "http_fundamentals",
        "displayName": "HTTP Fundamentals",
        "level": "junior",
        "prerequisites": [],
    }
    position = {c["id"]: i for i, c in enumerate(concepts)}
    assert all(position[p] < position[c["id"]] for c in concepts for p in c["prerequisites"])


def test_staff_concepts_include_every_level(knowledge: Knowledge, kb: KnowledgeBase) -> None:
    concepts = knowledge.concepts(BACKEND, "staff").concepts
    assert len(concepts) == len(kb.role(BACKEND).concepts)


def test_an_invalid_level_is_a_bad_request(knowledge: Knowledge) -> None:
    with pytest.raises(RuleBroken, match=r"^Invalid level: unknown$") as caught:
        knowledge.concepts(BACKEND, "unknown")
    assert caught.value.code == "BAD_REQUEST"

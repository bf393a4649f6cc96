"""The loader refuses a knowledge base that breaks a rule, naming the file and the concept.

Each case starts from a small valid knowledge base written to a temporary folder, breaks one
thing, and checks the message an author would read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from domain.knowledge import KnowledgeBaseError
from infrastructure.knowledge_base import load_knowledge_base

LEVELS = ["junior", "mid", "senior", "staff"]
SKILLS = [f"skill-{i}" for i in range(30)]
ALPHA = "roles/alpha_role.toml"


def _toml(data: dict[str, Any], prefix: str = "") -> str:
    """Just enough TOML for these files (JSON strings and arrays are valid TOML)."""
    lines: list[str] = []
    tables: list[tuple[str, dict[str, Any]]] = []
    arrays: list[tuple[str, list[dict[str, Any]]]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            tables.append((name, value))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            arrays.append((name, value))
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    for name, table in tables:
        lines += [f"[{name}]", _toml(table, f"{name}.")]
    for name, items in arrays:
        for item in items:
            lines += [f"[[{name}]]", _toml(item, f"{name}.")]
    return "\n".join(lines)


def _concept(cid: str, level: str, prerequisites: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": cid,
        "name": cid.replace("_", " ").title(),
        "level": level,
        "prerequisites": prerequisites or [],
        "skills": ["skill-0"],
        "target_confidence": 0.7,
        "bloom_target": "apply",
        "study_hours": 3,
        "description": f"About {cid}.",
        "key_points": [
            {"text": f"Point {n} of {cid}.", "keywords": [f"word {n}", f"term {n}"]}
            for n in range(3)
        ],
        "rubric": {"strong": "All of it.", "partial": "Some of it.", "weak": "None of it."},
        "questions": [
            {"bloom": "understand", "text": "Explain it."},
            {"bloom": "apply", "text": "Use it."},
            {"bloom": "analyze", "text": "Take it apart."},
        ],
    }


def _role(role_id: str, prefix: str) -> dict[str, Any]:
    concepts = [_concept(f"{prefix}{lv}_{i}", lv) for lv in LEVELS for i in range(12)]
    concepts[12]["prerequisites"] = [f"{prefix}junior_0"]
    return {
        "id": role_id,
        "name": role_id.replace("_", " ").title(),
        "description": "A role for tests.",
        "levels": list(LEVELS),
        "mapped_skills": SKILLS[:10],
        "concepts": concepts,
    }


def _skills() -> dict[str, Any]:
    return {
        "categories": ["Backend", "Frontend"],
        "skills": [
            {
                "id": sid,
                "name": sid.title(),
                "category": "Backend",
                "icon": "code",
                "description": f"The {sid} skill.",
                "sub_skills": [],
            }
            for sid in SKILLS
        ],
    }


Files = dict[str, dict[str, Any]]


def _valid() -> Files:
    return {"skills.toml": _skills(), ALPHA: _role("alpha_role", "")}


def _write(tmp_path: Path, files: Files) -> Path:
    (tmp_path / "roles").mkdir(exist_ok=True)
    for name, data in files.items():
        (tmp_path / name).write_text(_toml(data), encoding="utf-8")
    return tmp_path


def _concept_of(files: Files, cid: str) -> dict[str, Any]:
    return next(c for c in files[ALPHA]["concepts"] if c["id"] == cid)


def _set(cid: str, key: str, value: Any) -> Callable[[Files], None]:
    def change(files: Files) -> None:
        _concept_of(files, cid)[key] = value

    return change


def _drop_concept(cid: str) -> Callable[[Files], None]:
    def change(files: Files) -> None:
        files[ALPHA]["concepts"].remove(_concept_of(files, cid))

    return change


def _role_key(key: str, value: Any) -> Callable[[Files], None]:
    def change(files: Files) -> None:
        files[ALPHA][key] = value

    return change


def _second_role_reusing(cid: str) -> Callable[[Files], None]:
    def change(files: Files) -> None:
        beta = _role("beta_role", "b_")
        beta["concepts"][1]["id"] = cid
        files["roles/beta_role.toml"] = beta

    return change


def _skill_key(index: int, key: str, value: Any) -> Callable[[Files], None]:
    def change(files: Files) -> None:
        files["skills.toml"]["skills"][index][key] = value

    return change


def _misspelt_key(files: Files) -> None:
    concept = _concept_of(files, "mid_2")
    concept["prerequisite"] = concept.pop("prerequisites")


def _missing_rubric(files: Files) -> None:
    del _concept_of(files, "senior_4")["rubric"]


def _too_few_skills(files: Files) -> None:
    del files["skills.toml"]["skills"][29]
    files[ALPHA]["mapped_skills"] = SKILLS[:9]


def _cycle(files: Files) -> None:
    _concept_of(files, "junior_1")["prerequisites"] = ["junior_2"]
    _concept_of(files, "junior_2")["prerequisites"] = ["junior_1"]


Q = "understand"
CASES: list[tuple[str, Callable[[Files], None], str]] = [
    (
        "unknown prerequisite",
        _set("mid_0", "prerequisites", ["http_basics"]),
        f"{ALPHA}: concept 'mid_0': unknown prerequisite 'http_basics'",
    ),
    (
        "prerequisite above",
        _set("mid_1", "prerequisites", ["senior_0"]),
        f"{ALPHA}: concept 'mid_1': prerequisite 'senior_0' is at level 'senior', above 'mid'",
    ),
    (
        "cycle",
        _cycle,
        f"{ALPHA}: concept 'junior_1': prerequisite cycle: junior_1 -> junior_2 -> junior_1",
    ),
    (
        "self prerequisite",
        _set("junior_3", "prerequisites", ["junior_3"]),
        f"{ALPHA}: concept 'junior_3': prerequisite cycle: junior_3 -> junior_3",
    ),
    (
        "too few concepts",
        _drop_concept("staff_5"),
        f"{ALPHA}: level 'staff' has 11 concepts, needs at least 12",
    ),
    (
        "missing level",
        _role_key("levels", ["junior", "mid", "staff"]),
        f"{ALPHA}: missing level 'senior'",
    ),
    (
        "levels out of order",
        _role_key("levels", ["mid", "junior", "senior", "staff"]),
        f"{ALPHA}: levels must be exactly junior, mid, senior, staff, in this order",
    ),
    (
        "unknown role level",
        _role_key("levels", [*LEVELS, "principal"]),
        f"{ALPHA}: unknown level 'principal'",
    ),
    (
        "unknown concept level",
        _set("junior_4", "level", "expert"),
        f"{ALPHA}: concept 'junior_4': unknown level 'expert'",
    ),
    (
        "two key points",
        _set("junior_5", "key_points", [{"text": "a", "keywords": ["x", "y"]}] * 2),
        f"{ALPHA}: concept 'junior_5': has 2 key points, needs 3 to 5",
    ),
    (
        "six key points",
        _set("junior_5", "key_points", [{"text": "a", "keywords": ["x", "y"]}] * 6),
        f"{ALPHA}: concept 'junior_5': has 6 key points, needs 3 to 5",
    ),
    (
        "one keyword",
        _set(
            "mid_3",
            "key_points",
            [{"text": "a", "keywords": ["x"]}] + [{"text": "b", "keywords": ["x", "y"]}] * 2,
        ),
        f"{ALPHA}: concept 'mid_3': key point 1 has 1 keywords, needs at least 2",
    ),
    (
        "upper-case keyword",
        _set("mid_3", "key_points", [{"text": "a", "keywords": ["x", "HTTP"]}] * 3),
        f"{ALPHA}: concept 'mid_3': key point 1: keywords must be non-empty and lower-case",
    ),
    (
        "two questions",
        _set("mid_4", "questions", [{"bloom": "apply", "text": "a"}, {"bloom": Q, "text": "b"}]),
        f"{ALPHA}: concept 'mid_4': has 2 questions, needs at least 3",
    ),
    (
        "two Bloom levels",
        _set(
            "mid_4",
            "questions",
            [{"bloom": "apply", "text": "a"}, {"bloom": Q, "text": "b"}, {"bloom": Q, "text": "c"}],
        ),
        f"{ALPHA}: concept 'mid_4': questions cover 2 Bloom levels, needs at least 3",
    ),
    (
        "all questions above target",
        _set(
            "mid_5",
            "questions",
            [{"bloom": b, "text": "q"} for b in ("analyze", "evaluate", "create")],
        ),
        f"{ALPHA}: concept 'mid_5': no question at or below bloom_target 'apply'",
    ),
    (
        "unknown Bloom level",
        _set("mid_6", "questions", [{"bloom": "memorise", "text": "q"}] * 3),
        f"{ALPHA}: concept 'mid_6': unknown question bloom 'memorise'",
    ),
    (
        "unknown bloom_target",
        _set("mid_6", "bloom_target", "master"),
        f"{ALPHA}: concept 'mid_6': unknown bloom_target 'master'",
    ),
    (
        "skill not in skills.toml",
        _set("senior_0", "skills", ["kotlin"]),
        f"{ALPHA}: concept 'senior_0': skill 'kotlin' is not in skills.toml",
    ),
    (
        "skill not mapped",
        _set("senior_1", "skills", ["skill-20"]),
        f"{ALPHA}: concept 'senior_1': skill 'skill-20' is not in the role's mapped_skills",
    ),
    (
        "no skill",
        _set("senior_1", "skills", []),
        f"{ALPHA}: concept 'senior_1': evidences no skill",
    ),
    (
        "unknown mapped skill",
        _role_key("mapped_skills", ["skill-0", "cobol"]),
        f"{ALPHA}: mapped skill 'cobol' is not in skills.toml",
    ),
    (
        "confidence above 1",
        _set("senior_2", "target_confidence", 1.5),
        f"{ALPHA}: concept 'senior_2': target_confidence 1.5 is not between 0 and 1",
    ),
    (
        "no study hours",
        _set("senior_2", "study_hours", 0),
        f"{ALPHA}: concept 'senior_2': study_hours 0.0 must be positive",
    ),
    (
        "four resources",
        _set("senior_3", "resources", [{"type": "article", "title": "t"}] * 4),
        f"{ALPHA}: concept 'senior_3': has 4 resources, at most 3",
    ),
    (
        "plain http url",
        _set("senior_3", "resources", [{"type": "article", "title": "t", "url": "http://x.org"}]),
        f"{ALPHA}: concept 'senior_3': resource url must be https",
    ),
    (
        "id not snake_case",
        _set("staff_0", "id", "Staff-Zero"),
        f"{ALPHA}: concept 'Staff-Zero': id must be snake_case",
    ),
    (
        "duplicate id in role",
        _set("staff_1", "id", "staff_2"),
        f"{ALPHA}: concept 'staff_2': duplicate id",
    ),
    (
        "id reused by another role",
        _second_role_reusing("mid_7"),
        "roles/beta_role.toml: concept 'mid_7': id already used by role 'alpha_role'",
    ),
    (
        "role id differs from file",
        _role_key("id", "alpha"),
        f"{ALPHA}: id 'alpha' must equal the file name 'alpha_role'",
    ),
    (
        "missing rubric",
        _missing_rubric,
        f"{ALPHA}: concept 'senior_4': Object missing required field `rubric`",
    ),
    (
        "misspelt key",
        _misspelt_key,
        f"{ALPHA}: concept 'mid_2': Object contains unknown field `prerequisite`",
    ),
    (
        "wrong type",
        _set("junior_6", "study_hours", "three"),
        f"{ALPHA}: concept 'junior_6': Expected `float`, got `str` (at study_hours)",
    ),
    ("too few skills", _too_few_skills, "skills.toml: 29 skills, needs at least 30"),
    (
        "unknown category",
        _skill_key(3, "category", "Mobile"),
        "skills.toml: skill 'skill-3': unknown category 'Mobile'",
    ),
    (
        "icon is a url",
        _skill_key(4, "icon", "https://cdn.example/x.png"),
        "skills.toml: skill 'skill-4': icon must be a short lower-case key",
    ),
    (
        "duplicate skill",
        _skill_key(5, "id", "skill-6"),
        "skills.toml: skill 'skill-6': duplicate id",
    ),
]


def test_the_valid_base_loads(tmp_path: Path) -> None:
    kb = load_knowledge_base(_write(tmp_path, _valid()))
    assert [r.id for r in kb.roles] == ["alpha_role"]
    assert len(kb.role("alpha_role").concepts) == 48


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_broken_rule_is_reported_with_file_and_concept(
    tmp_path: Path, change: Callable[[Files], None], expected: str
) -> None:
    files = _valid()
    change(files)
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(_write(tmp_path, files))
    assert any(line.startswith(expected) for line in caught.value.problems), caught.value.problems
    assert isinstance(caught.value, ValueError)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    files = _valid()
    _set("mid_0", "prerequisites", ["nope"])(files)
    _drop_concept("staff_0")(files)
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(_write(tmp_path, files))
    message = str(caught.value)
    assert f"{ALPHA}: concept 'mid_0': unknown prerequisite 'nope'" in message
    assert f"{ALPHA}: level 'staff' has 11 concepts, needs at least 12" in message


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    _write(tmp_path, _valid())
    (tmp_path / ALPHA).write_text('id = "alpha_role"\nname = \n', encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"roles/alpha_role.toml: not valid TOML"):
        load_knowledge_base(tmp_path)


def test_a_folder_without_roles_is_refused(tmp_path: Path) -> None:
    files = _valid()
    del files[ALPHA]
    with pytest.raises(KnowledgeBaseError, match="no role files"):
        load_knowledge_base(_write(tmp_path, files))

"""Reads ``skills.toml`` and ``roles/*.toml`` into a validated ``KnowledgeBase``.

The file format is described by the Structs below (unknown keys are refused so a misspelt key
cannot silently fall back to nothing); the rules between fields live in
``domain.knowledge_validation``.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from domain.errors import RuleBroken
from domain.knowledge import (
    BloomLevel,
    Concept,
    KeyPoint,
    KnowledgeBase,
    KnowledgeBaseError,
    Level,
    Question,
    Resource,
    Role,
    Rubric,
    Skill,
    problem_at,
)
from domain.knowledge_validation import SKILLS_SOURCE, validate

HERE = Path(__file__).parent
T = TypeVar("T")
E = TypeVar("E", Level, BloomLevel)


class _Strict(msgspec.Struct, forbid_unknown_fields=True):
    pass


class SkillEntry(_Strict):
    id: str
    name: str
    category: str
    icon: str
    description: str
    sub_skills: list[str] = []


class SkillsFile(_Strict):
    categories: list[str]
    skills: list[SkillEntry]


class KeyPointEntry(_Strict):
    text: str
    keywords: list[str]


class RubricEntry(_Strict):
    strong: str
    partial: str
    weak: str


class QuestionEntry(_Strict):
    bloom: str
    text: str


class ResourceEntry(_Strict):
    type: str
    title: str
    url: str | None = None


class ConceptEntry(_Strict):
    id: str
    name: str
    level: str
    prerequisites: list[str]
    skills: list[str]
    target_confidence: float
    bloom_target: str
    study_hours: float
    description: str
    key_points: list[KeyPointEntry]
    rubric: RubricEntry
    questions: list[QuestionEntry]
    resources: list[ResourceEntry] = []


class RoleFile(_Strict):
    id: str
    name: str
    description: str
    levels: list[str]
    mapped_skills: list[str]
    concepts: list[ConceptEntry]


def load_knowledge_base(directory: Path | None = None) -> KnowledgeBase:
    """Load and validate; raises KnowledgeBaseError listing every problem found."""
    root = directory or HERE
    problems: list[str] = []
    skills_file = _read(root / "skills.toml", SKILLS_SOURCE, SkillsFile, problems)
    roles: list[Role] = []
    sources: dict[str, str] = {}
    role_paths = sorted((root / "roles").glob("*.toml"))
    if not role_paths:
        problems.append("roles/: no role files")
    for path in role_paths:
        source = f"roles/{path.name}"
        parsed = _read(path, source, RoleFile, problems)
        if parsed is None:
            continue
        if parsed.id != path.stem:
            problems.append(f"{source}: id '{parsed.id}' must equal the file name '{path.stem}'")
        role = _role(parsed, source, problems)
        if role is not None:
            roles.append(role)
            sources[role.id] = source
    if problems or skills_file is None:
        raise KnowledgeBaseError(problems)
    kb = KnowledgeBase(
        categories=tuple(skills_file.categories),
        skills=tuple(_skill(s) for s in skills_file.skills),
        roles=tuple(roles),
    )
    validate(kb, sources)
    return kb


def _read(path: Path, source: str, kind: type[T], problems: list[str]) -> T | None:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{source}: file not found")
        return None
    except tomllib.TOMLDecodeError as e:
        problems.append(f"{source}: not valid TOML: {e}")
        return None
    try:
        return msgspec.convert(raw, kind)
    except msgspec.ValidationError as e:
        problems.append(_locate(source, raw, str(e)))
        return None


_CONCEPT_PATH = re.compile(r" - at `\$\.concepts\[(\d+)\]\.?([^`]*)`$")


def _locate(source: str, raw: dict[str, Any], message: str) -> str:
    """Turn msgspec's ``$.concepts[3].rubric`` into the concept's id, which authors search for."""
    m = _CONCEPT_PATH.search(message)
    if not m:
        return f"{source}: {message.replace(' - at `$.', ' (at ').replace('`', ')')}"
    index, rest = int(m.group(1)), m.group(2)
    entry = raw.get("concepts", [])[index]
    concept = entry.get("id") if isinstance(entry, dict) else None
    what = message[: m.start()] + (f" (at {rest})" if rest else "")
    return problem_at(source, str(concept or f"#{index + 1}"), what)


def _skill(s: SkillEntry) -> Skill:
    return Skill(s.id, s.name, s.category, s.icon, s.description, tuple(s.sub_skills))


def _role(f: RoleFile, source: str, problems: list[str]) -> Role | None:
    before = len(problems)
    levels: list[Level] = []
    for name in f.levels:
        lv = _parse(Level, name, f"unknown level '{name}'", source, None, problems)
        if lv is not None:
            levels.append(lv)
    concepts = [c for e in f.concepts if (c := _concept(e, source, problems)) is not None]
    if len(problems) > before:
        return None
    return Role(f.id, f.name, f.description, tuple(levels), tuple(f.mapped_skills), tuple(concepts))


def _concept(e: ConceptEntry, source: str, problems: list[str]) -> Concept | None:
    level = _parse(Level, e.level, f"unknown level '{e.level}'", source, e.id, problems)
    target = _parse(
        BloomLevel,
        e.bloom_target,
        f"unknown bloom_target '{e.bloom_target}'",
        source,
        e.id,
        problems,
    )
    questions = []
    for q in e.questions:
        bloom = _parse(
            BloomLevel, q.bloom, f"unknown question bloom '{q.bloom}'", source, e.id, problems
        )
        if bloom is not None:
            questions.append(Question(bloom, q.text.strip()))
    if level is None or target is None or len(questions) != len(e.questions):
        return None
    return Concept(
        id=e.id,
        name=e.name,
        level=level,
        prerequisites=tuple(e.prerequisites),
        skills=tuple(e.skills),
        target_confidence=e.target_confidence,
        bloom_target=target,
        study_hours=e.study_hours,
        description=e.description.strip(),
        key_points=tuple(KeyPoint(k.text, tuple(k.keywords)) for k in e.key_points),
        rubric=Rubric(e.rubric.strong, e.rubric.partial, e.rubric.weak),
        questions=tuple(questions),
        resources=tuple(Resource(r.type, r.title, r.url) for r in e.resources),
    )


def _parse(
    kind: type[E], name: str, problem: str, source: str, concept: str | None, problems: list[str]
) -> E | None:
    try:
        return kind.parse(name)
    except RuleBroken:
        problems.append(problem_at(source, concept, problem))
        return None

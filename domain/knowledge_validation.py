"""The rules a knowledge base must satisfy before the service starts (docs/knowledge-base.md).

Every problem is reported, not only the first, so a content author fixes a file in one pass;
each line names the file and, where there is one, the concept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from domain.knowledge import (
    Concept,
    KnowledgeBase,
    KnowledgeBaseError,
    Level,
    Role,
    Skill,
    find_cycle,
    problem_at,
)

SKILLS_SOURCE = "skills.toml"
MIN_SKILLS = 30
MIN_CONCEPTS_PER_LEVEL = 12
KEY_POINTS = (3, 5)
MIN_KEYWORDS = 2
MIN_QUESTIONS = 3
MIN_BLOOM_LEVELS = 3
MAX_RESOURCES = 3

SKILL_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
CONCEPT_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
# An icon is a key the client maps to an image, so anything URL-like is refused.
ICON = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def role_source(role_id: str) -> str:
    return f"roles/{role_id}.toml"


def validate(kb: KnowledgeBase, sources: Mapping[str, str] | None = None) -> None:
    """Raise one KnowledgeBaseError listing every problem; ``sources`` maps a role id to the
    file it came from (default ``roles/<id>.toml``)."""
    problems = validate_skills(kb.categories, kb.skills)
    known = {s.id for s in kb.skills}
    owner: dict[str, str] = {}
    for role in kb.roles:
        source = (sources or {}).get(role.id) or role_source(role.id)
        problems += validate_role(role, source, known)
        for c in role.concepts:
            if c.id in owner and owner[c.id] != role.id:
                problems.append(
                    problem_at(source, c.id, f"id already used by role '{owner[c.id]}'")
                )
            owner.setdefault(c.id, role.id)
    if problems:
        raise KnowledgeBaseError(problems)


def validate_skills(
    categories: Sequence[str], skills: Sequence[Skill], source: str = SKILLS_SOURCE
) -> list[str]:
    problems: list[str] = []
    if not categories:
        problems.append(f"{source}: no categories")
    if len(set(categories)) != len(categories):
        problems.append(f"{source}: a category is listed twice")
    if len(skills) < MIN_SKILLS:
        problems.append(f"{source}: {len(skills)} skills, needs at least {MIN_SKILLS}")
    seen: set[str] = set()
    for s in skills:
        where = f"{source}: skill '{s.id}'"
        if s.id in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(s.id)
        if not SKILL_ID.match(s.id):
            problems.append(f"{where}: id must be lower-case words joined by '-'")
        if s.category not in categories:
            problems.append(f"{where}: unknown category '{s.category}'")
        if not ICON.match(s.icon):
            problems.append(f"{where}: icon must be a short lower-case key, not '{s.icon}'")
        if not s.name.strip() or not s.description.strip():
            problems.append(f"{where}: name and description must not be empty")
    return problems


def validate_role(role: Role, source: str, known_skills: set[str]) -> list[str]:
    problems: list[str] = []
    expected = tuple(Level)
    for lv in expected:
        if lv not in role.levels:
            problems.append(f"{source}: missing level '{lv.label}'")
    if not problems and role.levels != expected:
        names = ", ".join(Level.names())
        problems.append(f"{source}: levels must be exactly {names}, in this order")
    if not role.name.strip() or not role.description.strip():
        problems.append(f"{source}: name and description must not be empty")
    if not role.mapped_skills:
        problems.append(f"{source}: mapped_skills is empty")
    for sid in role.mapped_skills:
        if sid not in known_skills:
            problems.append(f"{source}: mapped skill '{sid}' is not in {SKILLS_SOURCE}")
    if len(set(role.mapped_skills)) != len(role.mapped_skills):
        problems.append(f"{source}: a mapped skill is listed twice")
    for lv in role.levels:
        count = len(role.concepts_at(lv))
        if count < MIN_CONCEPTS_PER_LEVEL:
            problems.append(
                f"{source}: level '{lv.label}' has {count} concepts, "
                f"needs at least {MIN_CONCEPTS_PER_LEVEL}"
            )
    seen: set[str] = set()
    for c in role.concepts:
        if c.id in seen:
            problems.append(problem_at(source, c.id, "duplicate id"))
        seen.add(c.id)
        problems += [problem_at(source, c.id, p) for p in _concept_problems(c, role, known_skills)]
    cycle = find_cycle(role.concepts)
    if cycle:
        problems.append(problem_at(source, cycle[0], f"prerequisite cycle: {' -> '.join(cycle)}"))
    return problems


def _concept_problems(c: Concept, role: Role, known_skills: set[str]) -> list[str]:
    problems: list[str] = []
    if not CONCEPT_ID.match(c.id):
        problems.append("id must be snake_case")
    if not c.name.strip() or not c.description.strip():
        problems.append("name and description must not be empty")
    levels = {x.id: x.level for x in role.concepts}
    for p in c.prerequisites:
        if p not in levels:
            problems.append(f"unknown prerequisite '{p}'")
        elif levels[p] > c.level:
            problems.append(
                f"prerequisite '{p}' is at level '{levels[p].label}', above '{c.level.label}'"
            )
    if not c.skills:
        problems.append("evidences no skill (skills is empty)")
    for sid in c.skills:
        if sid not in known_skills:
            problems.append(f"skill '{sid}' is not in {SKILLS_SOURCE}")
        elif sid not in role.mapped_skills:
            problems.append(f"skill '{sid}' is not in the role's mapped_skills")
    if not 0.0 <= c.target_confidence <= 1.0:
        problems.append(f"target_confidence {c.target_confidence} is not between 0 and 1")
    if c.study_hours <= 0:
        problems.append(f"study_hours {c.study_hours} must be positive")
    low, high = KEY_POINTS
    if not low <= len(c.key_points) <= high:
        problems.append(f"has {len(c.key_points)} key points, needs {low} to {high}")
    for i, kp in enumerate(c.key_points, start=1):
        if len(kp.keywords) < MIN_KEYWORDS:
            problems.append(
                f"key point {i} has {len(kp.keywords)} keywords, needs at least {MIN_KEYWORDS}"
            )
        if any(k != k.lower() or not k.strip() for k in kp.keywords):
            problems.append(f"key point {i}: keywords must be non-empty and lower-case")
        if not kp.text.strip():
            problems.append(f"key point {i} has no text")
    if not (c.rubric.strong.strip() and c.rubric.partial.strip() and c.rubric.weak.strip()):
        problems.append("rubric needs strong, partial and weak descriptions")
    if len(c.questions) < MIN_QUESTIONS:
        problems.append(f"has {len(c.questions)} questions, needs at least {MIN_QUESTIONS}")
    blooms = {q.bloom for q in c.questions}
    if len(blooms) < MIN_BLOOM_LEVELS:
        problems.append(
            f"questions cover {len(blooms)} Bloom levels, needs at least {MIN_BLOOM_LEVELS}"
        )
    if c.questions and min(blooms) > c.bloom_target:
        problems.append(f"no question at or below bloom_target '{c.bloom_target.label}'")
    if any(not q.text.strip() for q in c.questions):
        problems.append("a question has no text")
    if len(c.resources) > MAX_RESOURCES:
        problems.append(f"has {len(c.resources)} resources, at most {MAX_RESOURCES}")
    for r in c.resources:
        if not r.type.strip() or not r.title.strip():
            problems.append("a resource needs a type and a title")
        if r.url is not None and not r.url.startswith("https://"):
            problems.append(f"resource url must be https: '{r.url}'")
    return problems

"""The assessment knowledge base: skills, roles and the concepts each role expects per level.

Pure and immutable: the loader in ``infrastructure.knowledge_base`` builds it once from the TOML
files and validates it (``domain.knowledge_validation``); everything here only answers questions.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from functools import cached_property

from domain.errors import NotFound, RuleBroken


class KnowledgeBaseError(ValueError):
    """The knowledge-base files break a rule; each problem names the file and the concept."""

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems: tuple[str, ...] = (
            (problems,) if isinstance(problems, str) else tuple(problems)
        )
        super().__init__("\n".join(self.problems))


def problem_at(source: str, concept: str | None, problem: str) -> str:
    """One problem line: ``roles/x.toml: concept 'y': what is wrong``."""
    return f"{source}: concept '{concept}': {problem}" if concept else f"{source}: {problem}"


class BloomLevel(IntEnum):
    """Bloom's revised taxonomy, lowest to highest cognitive demand."""

    REMEMBER = 1
    UNDERSTAND = 2
    APPLY = 3
    ANALYZE = 4
    EVALUATE = 5
    CREATE = 6

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(b.label for b in cls)

    @classmethod
    def parse(cls, name: str) -> BloomLevel:
        if name not in cls.names():
            raise RuleBroken(f"Invalid Bloom level: {name}")
        return cls[name.upper()]


class Level(IntEnum):
    """Career levels in the order a learner grows through them."""

    JUNIOR = 1
    MID = 2
    SENIOR = 3
    STAFF = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(lv.label for lv in cls)

    @classmethod
    def parse(cls, name: str) -> Level:
        """The message is the API's 400 detail, so callers can let it through unchanged."""
        if name not in cls.names():
            raise RuleBroken(f"Invalid level: {name}")
        return cls[name.upper()]


@dataclass(frozen=True)
class KeyPoint:
    text: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Rubric:
    strong: str
    partial: str
    weak: str


@dataclass(frozen=True)
class Question:
    bloom: BloomLevel
    text: str


@dataclass(frozen=True)
class Resource:
    type: str
    title: str
    url: str | None = None


@dataclass(frozen=True)
class Concept:
    id: str
    name: str
    level: Level
    prerequisites: tuple[str, ...]
    skills: tuple[str, ...]
    target_confidence: float
    bloom_target: BloomLevel
    study_hours: float
    description: str
    key_points: tuple[KeyPoint, ...]
    rubric: Rubric
    questions: tuple[Question, ...]
    resources: tuple[Resource, ...] = ()


@dataclass(frozen=True)
class Skill:
    id: str
    name: str
    category: str
    icon: str
    description: str
    sub_skills: tuple[str, ...] = ()


@dataclass(frozen=True)
class Role:
    id: str
    name: str
    description: str
    levels: tuple[Level, ...]
    mapped_skills: tuple[str, ...]
    concepts: tuple[Concept, ...]

    def concept(self, concept_id: str) -> Concept:
        for c in self.concepts:
            if c.id == concept_id:
                return c
        raise NotFound(f"Concept not found: {concept_id}")

    def concepts_at(self, level: Level) -> tuple[Concept, ...]:
        """Concepts AT that level (not below), in file order."""
        return tuple(c for c in self.concepts if c.level == level)

    @cached_property
    def ordered(self) -> tuple[Concept, ...]:
        """Every concept, prerequisites first; ties go to the lower level, then to file order.

        Prerequisites never sit above their concept, so all junior concepts come before any mid
        one, and the concepts up to any level are a prefix of this order.
        """
        return topological_order(self.concepts)

    def concepts_up_to(self, level: Level) -> tuple[Concept, ...]:
        return tuple(c for c in self.ordered if c.level <= level)


def topological_order(concepts: Sequence[Concept]) -> tuple[Concept, ...]:
    """Kahn's algorithm with a (level, file position) priority, so the order is the same on
    every load. Prerequisites outside ``concepts`` are ignored (validation reports them)."""
    position = {c.id: i for i, c in enumerate(concepts)}
    waiting_on = {c.id: {p for p in c.prerequisites if p in position} for c in concepts}
    unlocks: dict[str, list[str]] = {c.id: [] for c in concepts}
    for c in concepts:
        for p in waiting_on[c.id]:
            unlocks[p].append(c.id)
    ready = [(c.level, position[c.id]) for c in concepts if not waiting_on[c.id]]
    heapq.heapify(ready)
    out: list[Concept] = []
    while ready:
        _, i = heapq.heappop(ready)
        done = concepts[i]
        out.append(done)
        for nxt in unlocks[done.id]:
            waiting_on[nxt].discard(done.id)
            if not waiting_on[nxt]:
                heapq.heappush(ready, (concepts[position[nxt]].level, position[nxt]))
    if len(out) != len(concepts):
        cycle = find_cycle(concepts) or []
        raise KnowledgeBaseError(f"prerequisite cycle: {' -> '.join(cycle)}")
    return tuple(out)


def find_cycle(concepts: Sequence[Concept]) -> list[str] | None:
    """The first prerequisite cycle in file order, as ``[a, b, a]``; None when acyclic."""
    prereqs = {c.id: c.prerequisites for c in concepts}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = fully explored
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for p in prereqs.get(node, ()):
            if p not in prereqs:
                continue
            if state.get(p) == 1:
                return [*path[path.index(p) :], p]
            if p not in state and (found := visit(p)):
                return found
        path.pop()
        state[node] = 2
        return None

    for c in concepts:
        if c.id not in state and (found := visit(c.id)):
            return found
    return None


@dataclass(frozen=True)
class KnowledgeBase:
    """Every skill and role. Roles keep the order they were loaded in (file name order)."""

    categories: tuple[str, ...]
    skills: tuple[Skill, ...]
    roles: tuple[Role, ...]
    _roles: dict[str, Role] = field(init=False, repr=False, compare=False)
    _skills: dict[str, Skill] = field(init=False, repr=False, compare=False)
    _concepts: dict[str, Concept] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_roles", {r.id: r for r in self.roles})
        object.__setattr__(self, "_skills", {s.id: s for s in self.skills})
        # Validation guarantees ids are unique across roles; before it runs, the first one wins.
        concepts: dict[str, Concept] = {}
        for r in self.roles:
            for c in r.concepts:
                concepts.setdefault(c.id, c)
        object.__setattr__(self, "_concepts", concepts)

    def role(self, role_id: str) -> Role:
        try:
            return self._roles[role_id]
        except KeyError:
            raise NotFound(f"Role not found: {role_id}") from None

    def skill(self, skill_id: str) -> Skill:
        try:
            return self._skills[skill_id]
        except KeyError:
            raise NotFound(f"Skill not found: {skill_id}") from None

    def has_skill(self, skill_id: str) -> bool:
        return skill_id in self._skills

    def concept(self, concept_id: str) -> Concept:
        """Concept ids are unique across roles, so the id alone finds it."""
        try:
            return self._concepts[concept_id]
        except KeyError:
            raise NotFound(f"Concept not found: {concept_id}") from None

    def concepts_up_to(self, role_id: str, level: Level | str) -> tuple[Concept, ...]:
        """The role's concepts at or below ``level``, prerequisites first (stable order)."""
        return self.role(role_id).concepts_up_to(_level(level))

    def roles_for_skills(self, skill_ids: Iterable[str]) -> tuple[Role, ...]:
        """The roles mapping the largest number of the given skills (unknown ids count for
        nothing). Several roles can tie; the more focused one (fewer mapped skills) comes first,
        then role id. Empty when no role maps any of them."""
        wanted = set(skill_ids)
        covered = {r.id: len(wanted & set(r.mapped_skills)) for r in self.roles}
        best = max(covered.values(), default=0)
        if best == 0:
            return ()
        tied = [r for r in self.roles if covered[r.id] == best]
        return tuple(sorted(tied, key=lambda r: (len(r.mapped_skills), r.id)))

    def concepts_for_skills(
        self, role_id: str, skill_ids: Iterable[str], level: Level | str
    ) -> tuple[Concept, ...]:
        """The role's concepts up to ``level`` that evidence any of the skills, together with
        everything they build on (an assessment must be able to step down to a prerequisite),
        in the same stable prerequisites-first order."""
        candidates = self.concepts_up_to(role_id, level)
        wanted = set(skill_ids)
        by_id = {c.id: c for c in candidates}
        keep: set[str] = set()
        stack = [c.id for c in candidates if wanted.intersection(c.skills)]
        while stack:
            cid = stack.pop()
            if cid in keep:
                continue
            keep.add(cid)
            stack.extend(p for p in by_id[cid].prerequisites if p in by_id)
        return tuple(c for c in candidates if c.id in keep)


def _level(level: Level | str) -> Level:
    return level if isinstance(level, Level) else Level.parse(level)

"""Knowledge: the read-only skills and roles queries (OpenLearning's ``/api/skills`` and
``/api/roles``), answered from the knowledge base loaded at start-up."""

from __future__ import annotations

import msgspec

from domain.knowledge import KnowledgeBase, Level


class SkillOut(msgspec.Struct, rename="camel"):
    id: str
    name: str
    category: str
    icon: str
    description: str
    sub_skills: list[str]


class SkillsResponse(msgspec.Struct):
    skills: list[SkillOut]
    categories: list[str]


class RoleSummary(msgspec.Struct, rename="camel"):
    id: str
    name: str
    description: str
    skill_count: int
    levels: list[str]


class LevelCount(msgspec.Struct, rename="camel"):
    name: str
    concept_count: int


class RoleDetail(msgspec.Struct, rename="camel"):
    id: str
    name: str
    description: str
    mapped_skill_ids: list[str]
    levels: list[LevelCount]


class ConceptOut(msgspec.Struct, rename="camel"):
    id: str
    display_name: str
    level: str
    prerequisites: list[str]


class RoleConceptsResponse(msgspec.Struct):
    concepts: list[ConceptOut]


class Knowledge:
    """Answers are built once per call from immutable data; nothing here touches storage."""

    def __init__(self, base: KnowledgeBase) -> None:
        self.base = base

    def skills(self) -> SkillsResponse:
        return SkillsResponse(
            skills=[
                SkillOut(s.id, s.name, s.category, s.icon, s.description, list(s.sub_skills))
                for s in self.base.skills
            ],
            categories=list(self.base.categories),
        )

    def roles(self) -> list[RoleSummary]:
        return [
            RoleSummary(
                r.id, r.name, r.description, len(r.mapped_skills), [lv.label for lv in r.levels]
            )
            for r in self.base.roles
        ]

    def role(self, role_id: str) -> RoleDetail:
        """Raises NotFound("Role not found: <id>")."""
        r = self.base.role(role_id)
        return RoleDetail(
            id=r.id,
            name=r.name,
            description=r.description,
            mapped_skill_ids=list(r.mapped_skills),
            levels=[LevelCount(lv.label, len(r.concepts_at(lv))) for lv in r.levels],
        )

    def concepts(self, role_id: str, level: str = "mid") -> RoleConceptsResponse:
        """Concepts up to ``level``, prerequisites first. The level is checked before the role,
        as a query parameter is validated before anything is looked up: RuleBroken("Invalid
        level: <level>") (400), then NotFound("Role not found: <id>") (404)."""
        target = Level.parse(level)
        return RoleConceptsResponse(
            concepts=[
                ConceptOut(c.id, c.name, c.level.label, list(c.prerequisites))
                for c in self.base.concepts_up_to(role_id, target)
            ]
        )

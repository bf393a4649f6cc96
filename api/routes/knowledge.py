"""OpenLearning's knowledge base: skills taxonomy, roles, and a role's concepts (seed 002)."""

from __future__ import annotations

from litestar import Controller, get

from api.params import CareerLevel
from api.schemas import errors
from application.knowledge import (
    Knowledge,
    RoleConceptsResponse,
    RoleDetail,
    RoleSummary,
    SkillsResponse,
)


class KnowledgeController(Controller):
    path = "/api"
    tags = ["knowledge"]

    @get("/skills", operation_id="list_skills", responses=errors(), summary="The skills taxonomy with its categories", sync_to_thread=False)
    def skills(self, knowledge: Knowledge) -> SkillsResponse:
        return knowledge.skills()

    @get("/roles", operation_id="list_job_roles", responses=errors(), summary="Every role of the knowledge base", sync_to_thread=False)
    def roles(self, knowledge: Knowledge) -> list[RoleSummary]:
        return knowledge.roles()

    @get("/roles/{role_id:str}", operation_id="get_job_role", responses=errors(404), summary="One role: mapped skills and concepts per level", sync_to_thread=False)
    def role(self, knowledge: Knowledge, role_id: str) -> RoleDetail:
        return knowledge.role(role_id)

    @get("/roles/{role_id:str}/concepts", operation_id="list_role_concepts", responses=errors(400, 404), summary="A role's concepts up to a level, prerequisites first", sync_to_thread=False)
    def concepts(self, knowledge: Knowledge, role_id: str, level: CareerLevel = "mid") -> RoleConceptsResponse:
        return knowledge.concepts(role_id, level)

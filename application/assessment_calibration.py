"""Calibration: from a start request to a session plan (role, candidate pool, topics, caps).

Runs before anything is recorded, so a bad request is refused with nothing left behind.
"""

from __future__ import annotations

from typing import Any

from application.assessment_schemas import StartAssessment
from domain.assessment_policy import (
    Thoroughness,
    estimated_questions,
    max_questions,
    plan_topics,
)
from domain.errors import InvalidInput, RuleBroken
from domain.knowledge import KnowledgeBase, Level


def calibrate(
    kb: KnowledgeBase, cmd: StartAssessment, user_id: str, org_id: str | None
) -> dict[str, Any]:
    """The ``AssessmentStarted`` fields (less the evaluator's name). Raises the seed's errors:
    ``Invalid level: x`` (400), ``Role not found: x`` (404), and 422 for a bad thoroughness."""
    level = Level.parse(cmd.target_level)
    thoroughness = Thoroughness.parse(cmd.thoroughness)
    skills = list(dict.fromkeys(s.strip() for s in cmd.skill_ids if s.strip()))
    if cmd.role_id:
        role = kb.role(cmd.role_id)
        pool = kb.concepts_up_to(role.id, level)
    else:
        if not skills:
            raise InvalidInput("skillIds: give at least one skill, or a roleId", field="skillIds")
        roles = kb.roles_for_skills(skills)
        if not roles:
            raise RuleBroken(
                f"No role in the knowledge base covers these skills: {', '.join(skills)}",
                code="NO_ROLE_FOR_SKILLS",
            )
        role = roles[0]
        pool = kb.concepts_for_skills(role.id, skills, level)
    if not pool:
        raise RuleBroken(f"No concepts to assess for role {role.id} up to {level.label}")
    topics = plan_topics(pool, level, skills, thoroughness.planned_topics)
    return {
        "user_id": user_id,
        "org_id": org_id,
        "skill_ids": skills,
        "target_level": level.label,
        "requested_role_id": cmd.role_id or None,
        "role_id": role.id,
        "thoroughness": thoroughness.value,
        "topics": topics,
        "pool": [c.id for c in pool],
        "questions_per_topic": thoroughness.questions_per_topic,
        "max_questions": max_questions(len(topics), len(pool), thoroughness),
        "estimated_questions": estimated_questions(len(topics), thoroughness),
    }

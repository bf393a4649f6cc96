"""Typed ids for the domain; deterministic ids for uniqueness claims."""

from __future__ import annotations

from typing import NewType
from uuid import UUID, uuid5

OrgId = NewType("OrgId", UUID)
UserId = NewType("UserId", UUID)
CourseId = NewType("CourseId", UUID)
RoleId = NewType("RoleId", UUID)

_CLAIMS = UUID("6f1c1d1e-52a4-4c55-9a8e-3b3c1d7b9a10")
_MEMBERSHIPS = UUID("0b7d9a62-1f0e-4c1b-8e3f-5a3b2c1d0e9f")


def claim_id(kind: str, value: str) -> UUID:
    """One aggregate id per unique value: two concurrent claims collide on version 1."""
    return uuid5(_CLAIMS, f"{kind}:{value}")


def membership_id(org_id: UUID, user_id: UUID) -> UUID:
    return uuid5(_MEMBERSHIPS, f"{org_id}:{user_id}")

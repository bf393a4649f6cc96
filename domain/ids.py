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


#: numeric ids are log positions, stored as 64-bit integers
INT64_MAX = 2**63 - 1


def numeric_id(text: str | int) -> int | None:
    """The one rule for a numeric id from a path or query string: ASCII digits within the
    int64 range. Anything else (``'²'``, 30 digits, ``'-1'``) is not a numeric id."""
    if isinstance(text, int):
        return text if 0 <= text <= INT64_MAX else None
    if 0 < len(text) <= 19 and text.isascii() and text.isdigit():
        value = int(text)
        if value <= INT64_MAX:
            return value
    return None


def ref_lookup(ref: str | int, prefix: str) -> tuple[str, int | str]:
    """Which column a reference names and the value to look for: ``(\"id\", 42)`` for a numeric
    id, ``(\"uuid\", \"…\")`` for ``<prefix>_<uuid>`` or a bare uuid. A string of digits beyond
    int64 names no row (``(\"id\", -1)``), so it reads as not found rather than failing."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isascii() and ref.isdigit()):
        number = numeric_id(ref)
        return ("id", -1) if number is None else ("id", number)
    return "uuid", ref.removeprefix(f"{prefix}_")

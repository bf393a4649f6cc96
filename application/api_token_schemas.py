"""Request and response bodies of the API-token routes, and the checks on their fields."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from domain.api_tokens import TokenRights
from domain.errors import InvalidInput, RuleBroken


class TokenCreate(msgspec.Struct, kw_only=True):
    name: str
    description: str = ""
    expires_at: str | None = None
    rights: dict[str, Any] | None = None


class TokenUpdate(msgspec.Struct, kw_only=True):
    name: str | None = None
    description: str | None = None
    expires_at: str | msgspec.UnsetType | None = msgspec.UNSET  # null: never expires
    rights: dict[str, Any] | None = None


class ApiTokenCreated(msgspec.Struct, kw_only=True):
    """The only shape that ever carries the secret (create and regenerate)."""

    token: str
    token_uuid: str
    name: str
    description: str
    token_prefix: str
    org_id: int
    rights: TokenRights
    created_by_user_id: int | None
    creation_date: str
    expires_at: str | None


class ApiTokenView(msgspec.Struct, kw_only=True):
    id: int
    token_uuid: str
    name: str
    description: str
    token_prefix: str
    org_id: int
    rights: TokenRights
    created_by_user_id: int | None
    creation_date: str
    update_date: str
    last_used_at: str | None
    expires_at: str | None
    is_active: bool


def parse_expiry(raw: str | None, now: datetime) -> str | None:
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except (ValueError, AttributeError):
        raise InvalidInput("expires_at must be an ISO-8601 date-time", field="expires_at") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment <= now:
        raise InvalidInput("expires_at must be in the future", field="expires_at")
    return moment.astimezone(UTC).isoformat()


def check_name(raw: str) -> str:
    name = raw.strip()
    if not name:
        raise RuleBroken("Token name is required and cannot be empty")
    if len(name) > 100:
        raise RuleBroken("Token name cannot exceed 100 characters")
    return name

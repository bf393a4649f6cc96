"""An org's API token: a long-lived credential acting for its creator with its own rights.

The secret never enters an event: only its keyed hash (HMAC-SHA256 with a server key) and its
public prefix (``lh_`` + 9 characters, shown in lists so people can tell tokens apart).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.editing import real_changes
from domain.errors import RuleBroken

TOKEN_RESOURCES = (
    "courses", "coursechapters", "activities", "collections", "trails", "search", "audit",
)
#: rights that only read: any other action of theirs must stay false
READ_ONLY = ("search", "audit")
CRUD = ("action_create", "action_read", "action_update", "action_delete")
#: courses also carry LearnHouse's *_own actions (on courses the token's creator authored)
COURSE_OWN = ("action_read_own", "action_update_own", "action_delete_own")
TokenRights = dict[str, dict[str, bool]]


def token_actions(resource: str) -> tuple[str, ...]:
    return CRUD + COURSE_OWN if resource == "courses" else CRUD


class ApiToken(Aggregate):
    class ApiTokenIssued(Aggregate.Created):
        org_id: UUID
        creator_id: UUID
        name: str
        description: str
        token_prefix: str
        secret_hash: str
        rights: dict[str, dict[str, bool]]
        expires_at: str | None

    @event(ApiTokenIssued)
    def __init__(
        self,
        org_id: UUID,
        creator_id: UUID,
        name: str,
        description: str,
        token_prefix: str,
        secret_hash: str,
        rights: TokenRights,
        expires_at: str | None,
    ) -> None:
        self.org_id = org_id
        self.creator_id = creator_id
        self.name = name
        self.description = description
        self.token_prefix = token_prefix
        self.secret_hash = secret_hash
        self.rights = rights
        self.expires_at = expires_at
        self.active = True

    class ApiTokenUpdated(Aggregate.Event):
        changes: dict[str, Any]  # name, description, expires_at

    @event(ApiTokenUpdated)
    def _apply_update(self, changes: dict[str, Any]) -> None:
        for key, value in changes.items():
            setattr(self, key, value)

    def update(self, changes: dict[str, Any]) -> None:
        self.ensure_active()
        real = real_changes(self, changes, ("name", "description", "expires_at"))
        if real:
            self._apply_update(real)

    class ApiTokenRightsChanged(Aggregate.Event):
        rights: dict[str, dict[str, bool]]

    @event(ApiTokenRightsChanged)
    def _set_rights(self, rights: TokenRights) -> None:
        self.rights = rights

    def change_rights(self, rights: TokenRights) -> None:
        self.ensure_active()
        if rights != self.rights:
            self._set_rights(rights)

    class ApiTokenRegenerated(Aggregate.Event):
        token_prefix: str
        secret_hash: str

    @event(ApiTokenRegenerated)
    def _regenerate(self, token_prefix: str, secret_hash: str) -> None:
        self.token_prefix = token_prefix
        self.secret_hash = secret_hash

    def regenerate(self, token_prefix: str, secret_hash: str) -> None:
        if not self.active:
            raise RuleBroken("Cannot regenerate a revoked token", code="TOKEN_REVOKED")
        self._regenerate(token_prefix, secret_hash)

    class ApiTokenRevoked(Aggregate.Event):
        pass

    @event(ApiTokenRevoked)
    def _revoke(self) -> None:
        self.active = False

    def revoke(self) -> None:
        if self.active:
            self._revoke()

    def ensure_active(self) -> None:
        if not self.active:
            raise RuleBroken("Cannot update a revoked token", code="TOKEN_REVOKED")


# -- policies (pure) -------------------------------------------------------------------
#: LearnHouse's token rights also name these; we accept them for compatibility and drop
#: them, since no route here serves them to tokens.
IGNORED_RESOURCES = ("certifications", "usergroups", "payments")


def normalise_token_rights(raw: Any) -> TokenRights:
    """Every token resource with every action (missing → False); ``ValueError`` on bad input."""
    if not isinstance(raw, dict):
        raise ValueError("rights must be an object")
    out: TokenRights = {}
    for resource in raw:
        if resource not in TOKEN_RESOURCES and resource not in IGNORED_RESOURCES:
            raise ValueError(f"unknown resource rights.{resource}")
    for resource in TOKEN_RESOURCES:
        given = raw.get(resource) or {}
        if not isinstance(given, dict):
            raise ValueError(f"Right '{resource}' must be a JSON object")
        actions = token_actions(resource)
        for key, value in given.items():
            if key not in actions:
                raise ValueError(f"unknown right rights.{resource}.{key}")
            if not isinstance(value, bool):
                raise ValueError(f"rights.{resource}.{key} must be true or false")
        if resource in READ_ONLY and any(v for k, v in given.items() if k != "action_read"):
            raise ValueError(
                f"{resource} is read only: only rights.{resource}.action_read may be true"
            )
        out[resource] = {a: bool(given.get(a, False)) for a in actions}
    return out


def ceiling(role_rights: dict[str, dict[str, bool]] | None) -> TokenRights:
    """The most a token may hold for a creator with these role rights.

    Enrollment administration (``trails``: other people's enrollments and progress) is user
    administration, so every trails action takes ``users.action_update``. Search reads courses.
    """
    held = role_rights or {}

    def has(resource: str, action: str) -> bool:
        return bool((held.get(resource) or {}).get(action, False))

    out: TokenRights = {}
    for resource in ("courses", "coursechapters", "activities", "collections"):
        out[resource] = {a: has(resource, a) for a in token_actions(resource)}
    out["trails"] = {
        "action_create": has("users", "action_update"),
        "action_read": has("users", "action_update"),
        "action_update": has("users", "action_update"),
        "action_delete": has("users", "action_update"),
    }
    out["search"] = {a: a == "action_read" and has("courses", "action_read") for a in CRUD}
    # The audit export: only for a creator who may read it (an org admin, or an auditor role).
    out["audit"] = {a: a == "action_read" and has("audit", "action_read") for a in CRUD}
    return out


def beyond(requested: TokenRights, held: TokenRights) -> tuple[str, str] | None:
    """The first (resource, action) granted in ``requested`` but not in ``held``."""
    for resource, actions in requested.items():
        for action, wanted in actions.items():
            if wanted and not (held.get(resource) or {}).get(action, False):
                return resource, action
    return None


def intersect(a: TokenRights, b: TokenRights) -> TokenRights:
    return {
        resource: {k: v and bool((b.get(resource) or {}).get(k, False)) for k, v in acts.items()}
        for resource, acts in a.items()
    }

"""Per-resource rights, as LearnHouse models them, and the four built-in roles.

A role's rights are ``{resource: {action_create, action_read, action_update, action_delete}}``;
courses also carry ``*_own`` actions (allowed on courses the caller authored); the dashboard has
``action_access``. Policies here are pure functions of rights and ownership.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

Action = Literal["create", "read", "update", "delete"]
Rights = dict[str, dict[str, bool]]

CRUD = ("action_create", "action_read", "action_update", "action_delete")
OWN = ("action_read_own", "action_update_own", "action_delete_own")
RESOURCES: dict[str, tuple[str, ...]] = {
    "courses": CRUD + OWN,
    "users": CRUD,
    "usergroups": CRUD,
    "collections": CRUD,
    "organizations": CRUD,
    "coursechapters": CRUD,
    "activities": CRUD,
    "roles": CRUD,
    "dashboard": ("action_access",),
    "communities": CRUD,
    "discussions": CRUD + OWN,
    "podcasts": CRUD + OWN,
    "boards": CRUD + OWN,
    # Newer LearnHouse Rights models carry these too; accepted so such payloads validate.
    "folders": CRUD,
    "media": CRUD,
    "assignments": CRUD,
    "playgrounds": CRUD + OWN,
    # learnstream's own: reading the org's audit export (history of who did what). Admins
    # hold it; an admin may grant it to an auditor's custom role or to an API token.
    "audit": ("action_read",),
}


def _rights(**grants: str) -> Rights:
    """Build rights from ``resource="crud"`` letter codes; ``o`` letters grant *_own."""
    out: Rights = {}
    for resource, actions in RESOURCES.items():
        letters = grants.get(resource, "")
        out[resource] = {a: False for a in actions}
        for action in actions:
            if action == "action_access":
                out[resource][action] = "a" in letters
                continue
            verb = action.removeprefix("action_").removesuffix("_own")
            letter = verb[0]
            if action.endswith("_own"):
                out[resource][action] = letter.upper() in letters or letter in letters
            else:
                out[resource][action] = letter in letters
    return out


# role_uuid → (numeric id, name, description, rights)
BUILTIN_ROLES: dict[str, tuple[int, str, str, Rights]] = {
    "role_global_admin": (
        1,
        "Admin",
        "Full control of the organization",
        _rights(
            courses="crud", users="crud", usergroups="crud", collections="crud",
            organizations="crud", coursechapters="crud", activities="crud", roles="crud",
            dashboard="a", communities="crud", discussions="crud", podcasts="crud",
            boards="crud", folders="crud", media="crud", assignments="crud", playgrounds="crud",
            audit="r",
        ),
    ),
    "role_global_maintainer": (
        2,
        "Maintainer",
        "Manages content and members, not the organization itself",
        _rights(
            courses="crud", users="cru", usergroups="crud", collections="crud",
            organizations="r", coursechapters="crud", activities="crud", roles="r",
            dashboard="a", communities="crud", discussions="crud", podcasts="crud",
            boards="crud", folders="crud", media="crud", assignments="crud", playgrounds="crud",
        ),
    ),
    "role_global_instructor": (
        3,
        "Instructor",
        "Creates courses and manages the ones they author",
        # Course-scoped content (chapters, activities) is further limited to courses the
        # instructor authors: see application.authorization.
        _rights(
            courses="crRUD", users="r", usergroups="r", collections="cr",
            organizations="r", coursechapters="crud", activities="crud", roles="",
            dashboard="a", communities="r", discussions="crRUD", podcasts="crRUD",
            boards="crRUD",
        ),
    ),
    "role_global_user": (
        4,
        "User",
        "A learner: reads what is published and follows courses",
        _rights(
            courses="rR", users="r", usergroups="r", collections="r", organizations="r",
            coursechapters="r", activities="r", roles="", dashboard="", communities="r",
            discussions="crRUD", podcasts="r", boards="r",
        ),
    ),
}
ADMIN_ROLE = "role_global_admin"
USER_ROLE = "role_global_user"


def builtin_rights(role_uuid: str) -> Rights | None:
    entry = BUILTIN_ROLES.get(role_uuid)
    return copy.deepcopy(entry[3]) if entry else None


def normalise_rights(raw: Any) -> Rights:
    """Fill every known resource/action (missing → False); unknown keys are refused."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ValueError("rights must be an object")
    out: Rights = {}
    for resource, actions in RESOURCES.items():
        given = raw.get(resource)
        if given is None:
            given = {}
        if not isinstance(given, dict):
            raise ValueError(f"rights.{resource} must be an object")
        for key, value in given.items():
            if key not in actions:
                raise ValueError(f"unknown right rights.{resource}.{key}")
            if not isinstance(value, bool):
                raise ValueError(f"rights.{resource}.{key} must be true or false")
        out[resource] = {a: given.get(a, False) for a in actions}
    for resource in raw:
        if resource not in RESOURCES:
            raise ValueError(f"unknown resource rights.{resource}")
    return out


def allows(rights: Rights, resource: str, action: Action, *, owner: bool = False) -> bool:
    """Does ``rights`` allow ``action`` on ``resource`` (``owner``: the caller authored it)?"""
    grants = rights.get(resource) or {}
    if grants.get(f"action_{action}", False):
        return True
    return owner and grants.get(f"action_{action}_own", False)


def exceeds(requested: Rights, held: Rights) -> str | None:
    """The first right in ``requested`` that ``held`` does not grant, as ``resource.action``."""
    for resource, actions in requested.items():
        for action, wanted in actions.items():
            if wanted and not (held.get(resource) or {}).get(action, False):
                return f"{resource}.{action}"
    return None

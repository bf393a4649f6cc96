"""Services handed to route handlers by name (Litestar ``Provide``), typed at both ends.

A handler that declares ``catalog: Catalog`` receives ``container.catalog``; ``principal`` is
the caller, resolved from the request's credential.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar.di import Provide

from api.security import principal_resolver

if TYPE_CHECKING:
    from api.bootstrap import Container

#: the container attributes a handler may ask for by parameter name
SERVICES = (
    "settings", "accounts", "orgs", "authz", "catalog", "activities", "collections",
    "org_roles", "invites", "signups", "profiles",
    "learning", "learning_admin", "search", "api_tokens", "webhooks", "course_files",
    "generation", "generation_accounts",
    "knowledge", "model_keys", "assessments",
    "gap_analyses", "assessment_reports", "assessment_deletion", "materials", "github_login",
    "audit_export", "course_analytics", "time_travel", "erasures",
)

#: provided under another name than the container's: Litestar takes a bad request field that
#: shares a dependency's name (``content`` of an activity) for a broken dependency, and answers
#: 500 instead of 422. No name here may be a body field or parameter of any route.
RENAMED = {"course_content": "content"}


def provided_names() -> list[str]:
    """Every name a handler parameter may use to receive a dependency."""
    return [*SERVICES, *RENAMED, "principal"]


def _constant(value: Any) -> Any:
    def provide() -> Any:
        return value

    return provide


def dependencies(container: Container) -> dict[str, Provide]:
    provided = {
        name: Provide(_constant(getattr(container, name)), use_cache=True, sync_to_thread=False)
        for name in SERVICES
    }
    for name, attribute in RENAMED.items():
        provided[name] = Provide(
            _constant(getattr(container, attribute)), use_cache=True, sync_to_thread=False
        )
    provided["principal"] = Provide(
        principal_resolver(container.accounts, container.api_tokens), sync_to_thread=False
    )
    return provided

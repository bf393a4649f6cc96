"""Every domain event as the audit export names it: its public name, its aggregate type, the
org it belongs to, and the fields of its data.

Names are the event class in snake case (``CourseCreated`` -> ``course_created``,
``EnrollmentCompleted`` -> ``enrollment_completed``): exact, one name per kind of fact. A
``types`` filter also takes the webhook catalogue's names (``course_completed``), which stand
for the event classes bound to them.

Data is the event's own fields that are listed in ``PUBLIC_FIELDS``; never the ones that hold
secrets (``SECRET_FIELDS``: hashes, ciphertexts, sealed answers) or a person's own data
(``PERSONAL_FIELDS``). ``tests/unit/test_audit_catalogue.py`` holds every event field to one of
the three lists, so a new field is exported only once someone has decided it may be.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from types import ModuleType

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from application.webhook_catalogue import bindings
from domain import (
    activities,
    api_tokens,
    assessment,
    chapters,
    claims,
    collections,
    courses,
    enrollments,
    generation_accounts,
    generation_credits,
    generation_jobs,
    invites,
    memberships,
    model_keys,
    orgs,
    outline,
    roles,
    users,
    webhooks,
)

DOMAIN_MODULES: tuple[ModuleType, ...] = (
    activities, api_tokens, assessment, chapters, claims, collections, courses, enrollments,
    generation_accounts, generation_credits, generation_jobs, invites, memberships, model_keys,
    orgs, outline, roles, users, webhooks,
)

#: fields every event has; they become the record's own columns
BASE_FIELDS = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic"})

#: never exported: secrets, their hashes and ciphertexts, sealed free text
SECRET_FIELDS = frozenset({
    "password_hash", "secret_hash", "secret_ciphertext", "previous_secret_ciphertext",
    "code_digest", "sealed_code", "sealed", "digest",
})
#: never exported: a person's own data. Records name people by uuid (``user_id``, ``actor``),
#: so erasing a person (their key destroyed) changes no exported record and no hash.
PERSONAL_FIELDS = frozenset({
    "email", "username", "first_name", "last_name", "avatar_image", "bio", "value",
})
#: exported: reviewed, holds neither a secret nor a person's own data
PUBLIC_FIELDS = frozenset({
    "about", "activity_id", "activity_sub_type", "activity_type", "add_ons", "adds_topic",
    "attempt", "author_id", "bloom", "by", "callback_url", "changed_by", "changes", "chapter_id",
    "chapters", "code", "concept_id", "confidence", "content", "course_id", "course_ids",
    "course_name", "covered_key_points", "created_by", "creator_id", "credit_id", "description",
    "details", "estimated_questions", "evaluator", "events", "expires_at", "failing_since",
    "format", "from_version", "generator", "graph", "headline", "idle_seconds", "job_id", "kind",
    "language_id", "learnings", "lock_type", "max_questions", "max_uses", "message", "month",
    "move", "name", "number", "org_id", "outline", "overall_readiness", "owner_id", "plan",
    "pool", "preview", "previous_valid_until", "progress", "public", "published",
    "question_index", "questions_per_topic", "reason", "requested_by", "requested_role_id",
    "result", "rights", "role_id", "role_uuid", "scores", "session_id", "share_url",
    "signup_mode", "since", "skill_ids", "slot", "slug", "state", "step", "subject", "tags",
    "target_level", "text", "thoroughness", "thumbnail_image", "token_prefix", "topics",
    "until", "url", "user_id", "worker", "writer",
})


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class AuditType:
    topic: str
    name: str
    aggregate_type: str
    #: data fields, in declaration order
    fields: tuple[str, ...]
    #: the event names its org in this field (``org_id``), or is an org's own event
    org_field: str | None
    is_org_event: bool
    #: fields naming another aggregate whose org this event belongs to (``course_id``)
    parent_fields: tuple[str, ...]


def event_classes(modules: Iterable[ModuleType] = DOMAIN_MODULES) -> list[tuple[type, type]]:
    """(aggregate class, event class) for every concrete event of the domain."""
    found: list[tuple[type, type]] = []
    for module in modules:
        for aggregate in vars(module).values():
            if not (
                isinstance(aggregate, type) and issubclass(aggregate, Aggregate)
                and aggregate.__module__ == module.__name__
            ):
                continue
            for name, cls in vars(aggregate).items():
                if (
                    isinstance(cls, type) and issubclass(cls, Aggregate.Event)
                    and name not in ("Event", "Created")
                    and cls.__qualname__ == f"{aggregate.__name__}.{name}"
                ):
                    found.append((aggregate, cls))
    return found


def declared_fields(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if f.name not in BASE_FIELDS]


def _audit_type(aggregate: type, cls: type) -> AuditType:
    names = declared_fields(cls)
    return AuditType(
        topic=get_topic(cls),
        name=snake(cls.__name__),
        aggregate_type=snake(aggregate.__name__),
        fields=tuple(n for n in names if n in PUBLIC_FIELDS),
        org_field="org_id" if "org_id" in names else None,
        is_org_event=aggregate is orgs.Org,
        parent_fields=tuple(n for n in ("course_id",) if n in names),
    )


@cache
def audit_types() -> dict[str, AuditType]:
    """By topic. Two classes never share a name (checked here, once)."""
    types = {get_topic(cls): _audit_type(agg, cls) for agg, cls in event_classes()}
    seen: dict[str, str] = {}
    for t in types.values():
        if t.name in seen:
            raise ValueError(f"audit name {t.name} is used by {seen[t.name]} and {t.topic}")
        seen[t.name] = t.topic
    return types


def unknown_type(topic: str) -> AuditType:
    """An entry whose class is no longer in the code: named from its topic, no data."""
    qualname = topic.partition(":")[2]
    parts = qualname.split(".")
    return AuditType(
        topic=topic, name=snake(parts[-1]), aggregate_type=snake(parts[0]), fields=(),
        org_field=None, is_org_event=False, parent_fields=(),
    )


def type_of(topic: str) -> AuditType:
    return audit_types().get(topic) or unknown_type(topic)


@cache
def _by_name() -> dict[str, frozenset[str]]:
    """Public name -> audit names: each audit name, and each webhook name."""
    out: dict[str, set[str]] = {t.name: {t.name} for t in audit_types().values()}
    for binding in bindings():
        audit_name = snake(binding.cls.__name__)
        out.setdefault(binding.name, set()).add(audit_name)
    return {name: frozenset(found) for name, found in out.items()}


def expand_names(requested: Iterable[str]) -> frozenset[str]:
    """The audit names a ``types`` filter stands for; ``ValueError`` names an unknown one."""
    known = _by_name()
    out: set[str] = set()
    for name in requested:
        if name not in known:
            raise ValueError(f"unknown event type: {name}")
        out |= known[name]
    return frozenset(out)


def public_names() -> list[str]:
    return sorted(_by_name())

"""The webhook event catalogue: ONE registry used to validate subscriptions and to publish.

Each public event name has a category, a description and the JSON schema of its ``data``;
bindings map domain event classes to those names with a function that builds ``data`` from
the event and the publisher's lookups (its own small read model, filled in log order, so
the data never depends on another projection's lag). Modules of other contexts are imported
lazily: a binding whose class does not exist (yet) is simply absent.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from application.webhook_schemas import EVENT_TYPES, EventType

__all__ = ["EVENT_TYPES", "Binding", "EventType", "Lookups", "Published", "bindings"]


class Lookups(Protocol):
    def org_id(self, org_uuid: str) -> int | None: ...
    def user(self, user_uuid: str) -> dict[str, Any] | None: ...
    def entity(self, entity_uuid: str) -> dict[str, Any] | None:
        """``{kind, org_uuid, course_uuid, name, extra}`` of a course, chapter, activity, …"""
        ...
    def membership(self, membership_id: str) -> tuple[str, str] | None:
        """``(org_uuid, user_uuid)``"""
        ...


@dataclass(frozen=True)
class Published:
    org_uuid: str
    data: dict[str, Any]


Builder = Callable[[Lookups, Any], Published | None]


@dataclass(frozen=True)
class Binding:
    cls: type
    name: str
    build: Builder


# -- nested objects of ``data`` -------------------------------------------------------------
def oid(event: Any) -> str:
    return str(event.originator_id)


def user_obj(lk: Lookups, user_uuid: str) -> dict[str, Any]:
    row = lk.user(user_uuid) or {}
    return {
        "user_uuid": f"user_{user_uuid}",
        "email": row.get("email"),
        "username": row.get("username"),
    }


def _entity(lk: Lookups, uuid: str) -> dict[str, Any]:
    return lk.entity(uuid) or {}


def course_obj(lk: Lookups, course_uuid: str) -> dict[str, Any]:
    return {"course_uuid": f"course_{course_uuid}", "name": _entity(lk, course_uuid).get("name")}


def chapter_obj(lk: Lookups, chapter_uuid: str) -> dict[str, Any]:
    return {
        "chapter_uuid": f"chapter_{chapter_uuid}",
        "name": _entity(lk, chapter_uuid).get("name"),
    }


def activity_obj(lk: Lookups, activity_uuid: str) -> dict[str, Any]:
    row = _entity(lk, activity_uuid)
    return {
        "activity_uuid": f"activity_{activity_uuid}",
        "name": row.get("name"),
        "activity_type": (row.get("extra") or {}).get("activity_type"),
    }


def collection_obj(lk: Lookups, collection_uuid: str) -> dict[str, Any]:
    return {
        "collection_uuid": f"collection_{collection_uuid}",
        "name": _entity(lk, collection_uuid).get("name"),
    }


# -- builders ---------------------------------------------------------------------------
def _membership(name_extra: Callable[[Any], dict[str, Any]]) -> Builder:
    def build(lk: Lookups, event: Any) -> Published | None:
        if hasattr(event, "org_id"):
            org_uuid, user_uuid = str(event.org_id), str(event.user_id)
        else:
            found = lk.membership(oid(event))
            if found is None:
                return None
            org_uuid, user_uuid = found
        return Published(org_uuid, {"user": user_obj(lk, user_uuid), **name_extra(event)})

    return build


def _owned(kind: str, make: Callable[[Lookups, Any, dict[str, Any]], dict[str, Any]]) -> Builder:
    """Events of an entity (course, chapter, …) whose org the lookups recorded at creation."""

    def build(lk: Lookups, event: Any) -> Published | None:
        row = lk.entity(oid(event))
        if row is None or row.get("kind") != kind:
            return None
        return Published(str(row["org_uuid"]), make(lk, event, row))

    return build


def _course_data(lk: Lookups, event: Any, row: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"course": course_obj(lk, oid(event))}
    if hasattr(event, "changes"):
        data["changed_fields"] = sorted(event.changes)
    return data


def _enrollment(extra: Callable[[Lookups, Any], dict[str, Any]]) -> Builder:
    def make(lk: Lookups, event: Any, row: dict[str, Any]) -> dict[str, Any]:
        user_uuid = str((row.get("extra") or {}).get("user_uuid", ""))
        return {
            "user": user_obj(lk, user_uuid),
            "course": course_obj(lk, str(row["course_uuid"])),
            **extra(lk, event),
        }

    return _owned("enrollment", make)


def _created_in_org(make: Callable[[Lookups, Any], dict[str, Any]]) -> Builder:
    def build(lk: Lookups, event: Any) -> Published | None:
        return Published(str(event.org_id), make(lk, event))

    return build


def _token_data(lk: Lookups, event: Any, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "token": {
            "token_uuid": f"apitoken_{oid(event)}",
            "name": row.get("name"),
            "token_prefix": (row.get("extra") or {}).get("token_prefix"),
        }
    }


def _webhook_disabled(lk: Lookups, event: Any) -> Published | None:
    row = lk.entity(oid(event))
    if row is None:
        return None
    return Published(
        str(row["org_uuid"]),
        {
            "webhook": {"webhook_uuid": f"webhook_{oid(event)}", "url": row.get("name")},
            "reason": event.reason,
            "failing_since": event.failing_since,
        },
    )


_NO_DATA: Callable[[Lookups, Any], dict[str, Any]] = lambda lk, e: {}  # noqa: E731

# (module, "Aggregate.Event", public name, builder)
_BINDINGS: list[tuple[str, str, str, Builder]] = [
    ("domain.memberships", "Membership.UserJoinedOrg", "user_signed_up",
     _membership(lambda e: {"role_uuid": e.role_uuid})),
    ("domain.memberships", "Membership.UserRoleChanged", "user_role_changed",
     _membership(lambda e: {"role_uuid": e.role_uuid})),
    ("domain.memberships", "Membership.UserRemovedFromOrg", "user_removed_from_org",
     _membership(lambda e: {})),
    ("domain.courses", "Course.CourseCreated", "course_created", _owned("course", _course_data)),
    ("domain.courses", "Course.CourseUpdated", "course_updated", _owned("course", _course_data)),
    ("domain.courses", "Course.CoursePublished", "course_published", _owned("course", _course_data)),
    ("domain.courses", "Course.CourseDeleted", "course_deleted", _owned("course", _course_data)),
    ("domain.chapters", "Chapter.ChapterCreated", "chapter_created", _created_in_org(
        lambda lk, e: {"chapter": chapter_obj(lk, oid(e)), "course": course_obj(lk, str(e.course_id))})),
    ("domain.activities", "Activity.ActivityCreated", "activity_created", _created_in_org(
        lambda lk, e: {"activity": activity_obj(lk, oid(e)), "course": course_obj(lk, str(e.course_id)),
                       "chapter": chapter_obj(lk, str(e.chapter_id))})),
    ("domain.activities", "Activity.ActivityUpdated", "activity_version_created", _owned(
        "activity", lambda lk, e, row: {
            "activity": activity_obj(lk, oid(e)), "course": course_obj(lk, str(row["course_uuid"])),
            "version": e.originator_version, "changed_fields": sorted(e.changes)})),
    ("domain.activities", "Activity.ActivityRestored", "activity_version_restored", _owned(
        "activity", lambda lk, e, row: {
            "activity": activity_obj(lk, oid(e)), "course": course_obj(lk, str(row["course_uuid"])),
            "version": e.originator_version, "restored_from_version": e.from_version})),
    ("domain.collections", "Collection.CollectionCreated", "collection_created", _owned(
        "collection", lambda lk, e, row: {"collection": collection_obj(lk, oid(e))})),
    ("domain.collections", "Collection.CollectionUpdated", "collection_updated", _owned(
        "collection", lambda lk, e, row: {"collection": collection_obj(lk, oid(e)),
                                          "changed_fields": sorted(e.changes)})),
    ("domain.collections", "Collection.CollectionDeleted", "collection_deleted", _owned(
        "collection", lambda lk, e, row: {"collection": collection_obj(lk, oid(e))})),
    ("domain.enrollments", "Enrollment.CourseEnrolled", "course_enrolled", _enrollment(_NO_DATA)),
    ("domain.enrollments", "Enrollment.CourseReenrolled", "course_enrolled", _enrollment(_NO_DATA)),
    ("domain.enrollments", "Enrollment.CourseUnenrolled", "course_unenrolled", _enrollment(_NO_DATA)),
    ("domain.enrollments", "Enrollment.ActivityCompleted", "activity_completed", _enrollment(
        lambda lk, e: {"activity": activity_obj(lk, str(e.activity_id))})),
    ("domain.enrollments", "Enrollment.EnrollmentCompleted", "course_completed", _enrollment(_NO_DATA)),
    ("domain.api_tokens", "ApiToken.ApiTokenIssued", "api_token_created", _owned("api_token", _token_data)),
    ("domain.api_tokens", "ApiToken.ApiTokenRevoked", "api_token_revoked", _owned("api_token", _token_data)),
    ("domain.webhooks", "WebhookEndpoint.WebhookEndpointDisabled", "webhook_endpoint_disabled",
     _webhook_disabled),
]


def resolve(module: str, path: str) -> type | None:
    try:
        target: Any = importlib.import_module(module)
    except ImportError:
        return None
    for part in path.split("."):
        target = getattr(target, part, None)
        if target is None:
            return None
    return target if isinstance(target, type) else None


def bindings() -> list[Binding]:
    """Every binding whose domain class exists now (call again to pick up new modules)."""
    out: list[Binding] = []
    for module, path, name, build in _BINDINGS:
        assert name in EVENT_TYPES, name
        cls = resolve(module, path)
        if cls is not None:
            out.append(Binding(cls, name, build))
    return out

"""The webhook event catalogue: ONE registry used to validate subscriptions and to publish.

Each public event name has a category, a description and the JSON schema of its ``data``;
bindings map domain event classes to those names with a function that builds ``data`` from
the event and the publisher's lookups (its own small read model, filled in log order, so
the data never depends on another projection's lag). The bound domain classes are imported
directly: a missing one is an import error, never a silently absent binding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from application.generation_views import callback_course, public_job_id
from application.webhook_schemas import EVENT_TYPES, EventType
from domain.activities import Activity
from domain.api_tokens import ApiToken
from domain.assessment import Assessment
from domain.chapters import Chapter
from domain.collections import Collection
from domain.courses import Course
from domain.enrollments import Enrollment
from domain.generation_jobs import JOB_CANCELLED, GenerationJob
from domain.memberships import Membership
from domain.orgs import Org
from domain.roles import Role
from domain.study_materials import StudyMaterials
from domain.webhooks import WebhookEndpoint

__all__ = ["BINDINGS", "EVENT_TYPES", "Binding", "EventType", "Lookups", "Published", "bindings"]


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


def role_obj(event: Any) -> dict[str, Any]:
    return {"role_uuid": f"role_{oid(event)}", "name": event.name}


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


def _collection_fields(changes: dict[str, Any]) -> list[str]:
    # The API calls the member list ``courses``; ``course_ids`` is only the event's name for it.
    return sorted("courses" if key == "course_ids" else key for key in changes)


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


def _assessment_started(lk: Lookups, event: Any) -> Published | None:
    if not event.org_id:
        return None
    return Published(str(event.org_id), {
        "user": user_obj(lk, event.user_id),
        "assessment": {"session_id": oid(event), "role_id": event.role_id,
                       "target_level": event.target_level, "thoroughness": event.thoroughness,
                       "skill_ids": list(event.skill_ids)},
    })


def _assessment_completed(lk: Lookups, event: Any) -> Published | None:
    if not event.org_id:
        return None
    return Published(str(event.org_id), {
        "user": user_obj(lk, event.user_id), "assessment": {"session_id": oid(event)},
        "overall_readiness": event.overall_readiness, "scored_concepts": len(event.scores),
    })


def _materials_ready(lk: Lookups, event: Any) -> Published | None:
    if not event.org_id:
        return None
    return Published(str(event.org_id), {
        "user": user_obj(lk, event.user_id), "assessment": {"session_id": event.session_id},
        "materials": event.count, "flagged": event.flagged,
    })


_NO_DATA: Callable[[Lookups, Any], dict[str, Any]] = lambda lk, e: {}  # noqa: E731

# (domain event class, public name, builder); imported eagerly so a renamed or removed class
# fails at import time instead of silently never publishing.
_BINDINGS: list[tuple[type, str, Builder]] = [
    (Membership.UserJoinedOrg, "user_signed_up",
     _membership(lambda e: {"role_uuid": e.role_uuid})),
    (Membership.UserRejoinedOrg, "user_signed_up",
     _membership(lambda e: {"role_uuid": e.role_uuid})),
    (Membership.UserRoleChanged, "user_role_changed",
     _membership(lambda e: {"role_uuid": e.role_uuid})),
    (Membership.UserRemovedFromOrg, "user_removed_from_org",
     _membership(lambda e: {})),
    (Role.RoleUpdated, "role_updated", _created_in_org(lambda lk, e: {"role": role_obj(e)})),
    (Role.RoleDeleted, "role_deleted", _created_in_org(lambda lk, e: {"role": role_obj(e)})),
    (Org.OrgSignupModeChanged, "org_signup_method_changed",
     lambda lk, e: Published(oid(e), {"signup_mechanism": e.signup_mode})),
    (Course.CourseCreated, "course_created", _owned("course", _course_data)),
    (Course.CourseUpdated, "course_updated", _owned("course", _course_data)),
    (Course.CoursePublished, "course_published", _owned("course", _course_data)),
    (Course.CourseDeleted, "course_deleted", _owned("course", _course_data)),
    (Chapter.ChapterCreated, "chapter_created", _created_in_org(
        lambda lk, e: {"chapter": chapter_obj(lk, oid(e)), "course": course_obj(lk, str(e.course_id))})),
    (Activity.ActivityCreated, "activity_created", _created_in_org(
        lambda lk, e: {"activity": activity_obj(lk, oid(e)), "course": course_obj(lk, str(e.course_id)),
                       "chapter": chapter_obj(lk, str(e.chapter_id))})),
    (Activity.ActivityUpdated, "activity_version_created", _owned(
        "activity", lambda lk, e, row: {
            "activity": activity_obj(lk, oid(e)), "course": course_obj(lk, str(row["course_uuid"])),
            "version": e.originator_version, "changed_fields": sorted(e.changes)})),
    (Activity.ActivityRestored, "activity_version_restored", _owned(
        "activity", lambda lk, e, row: {
            "activity": activity_obj(lk, oid(e)), "course": course_obj(lk, str(row["course_uuid"])),
            "version": e.originator_version, "restored_from_version": e.from_version})),
    (Collection.CollectionCreated, "collection_created", _owned(
        "collection", lambda lk, e, row: {"collection": collection_obj(lk, oid(e))})),
    (Collection.CollectionUpdated, "collection_updated", _owned(
        "collection", lambda lk, e, row: {"collection": collection_obj(lk, oid(e)),
                                          "changed_fields": _collection_fields(e.changes)})),
    (Collection.CollectionDeleted, "collection_deleted", _owned(
        "collection", lambda lk, e, row: {"collection": collection_obj(lk, oid(e))})),
    (Enrollment.CourseEnrolled, "course_enrolled", _enrollment(_NO_DATA)),
    (Enrollment.CourseReenrolled, "course_enrolled", _enrollment(_NO_DATA)),
    (Enrollment.CourseUnenrolled, "course_unenrolled", _enrollment(_NO_DATA)),
    (Enrollment.ActivityCompleted, "activity_completed", _enrollment(
        lambda lk, e: {"activity": activity_obj(lk, str(e.activity_id))})),
    (Enrollment.EnrollmentCompleted, "course_completed", _enrollment(_NO_DATA)),
    (ApiToken.ApiTokenIssued, "api_token_created", _owned("api_token", _token_data)),
    (ApiToken.ApiTokenRevoked, "api_token_revoked", _owned("api_token", _token_data)),
    (Assessment.AssessmentStarted, "assessment_started", _assessment_started),
    (Assessment.AssessmentCompleted, "assessment_completed", _assessment_completed),
    (StudyMaterials.MaterialsReady, "materials_ready", _materials_ready),
    (GenerationJob.GenerationCompleted, "course_generation_completed", _created_in_org(
        lambda lk, e: {"jobId": public_job_id(oid(e)), "course": callback_course(e)})),
    (GenerationJob.GenerationFailed, "course_generation_failed", _created_in_org(
        lambda lk, e: {"jobId": public_job_id(oid(e)),
                       "error": {"message": e.message, "code": e.code}})),
    (GenerationJob.GenerationCancelled, "course_generation_failed", _created_in_org(
        lambda lk, e: {"jobId": public_job_id(oid(e)),
                       "error": {"message": "The job was cancelled.", "code": JOB_CANCELLED}})),
    (WebhookEndpoint.WebhookEndpointDisabled, "webhook_endpoint_disabled",
     _webhook_disabled),
]


def _checked(entries: list[tuple[type, str, Builder]]) -> tuple[Binding, ...]:
    unknown = sorted({name for _, name, _ in entries if name not in EVENT_TYPES})
    if unknown:
        raise ValueError(f"webhook bindings name events missing from EVENT_TYPES: {unknown}")
    return tuple(Binding(cls, name, build) for cls, name, build in entries)


BINDINGS = _checked(_BINDINGS)


def bindings() -> list[Binding]:
    """Every binding of a domain event class to a public event name."""
    return list(BINDINGS)

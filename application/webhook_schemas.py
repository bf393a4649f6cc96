"""Public webhook event names with their category, description and the JSON schema of ``data``.

Kept apart from the bindings so the catalogue endpoint and subscription checks never import
other contexts' domain modules. Later issues add their names here (and bindings beside them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}


def _obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(props)}


USER = _obj(user_uuid=_STR, email=_NSTR, username=_NSTR)
COURSE = _obj(course_uuid=_STR, name=_NSTR)
CHAPTER = _obj(chapter_uuid=_STR, name=_NSTR)
ACTIVITY = _obj(activity_uuid=_STR, name=_NSTR, activity_type=_NSTR)
COLLECTION = _obj(collection_uuid=_STR, name=_NSTR)
TOKEN = _obj(token_uuid=_STR, name=_NSTR, token_prefix=_NSTR)
ASSESSMENT = _obj(session_id=_STR, role_id=_STR, target_level=_STR, thoroughness=_STR,
                  skill_ids={"type": "array", "items": _STR})
ROLE = _obj(role_uuid=_STR, name=_STR)
GENERATED_COURSE = _obj(
    id=_STR, name=_STR, headline=_STR, format=_STR, languageId=_STR, shareUrl=_STR,
    createdAt=_STR, course_uuid=_STR,
)
GENERATION_ERROR = _obj(message=_STR, code=_STR)
FIELDS = {"type": "array", "items": _STR}
INT = {"type": "integer"}


@dataclass(frozen=True)
class EventType:
    name: str
    category: str
    description: str
    data: dict[str, Any]  # JSON schema of the payload's ``data``
    subscribable: bool = True


def _t(name: str, category: str, description: str, data: dict[str, Any], sub: bool = True) -> EventType:
    return EventType(name, category, description, data, sub)


EVENT_TYPES: dict[str, EventType] = {
    t.name: t
    for t in (
        _t("ping", "webhooks", "A test event sent by POST /{webhook_uuid}/test (not subscribable).",
           _obj(message=_STR), sub=False),
        _t("webhook_endpoint_disabled", "webhooks",
           "Another endpoint of the org was disabled after failing continuously for 5 days.",
           _obj(webhook=_obj(webhook_uuid=_STR, url=_STR), reason=_STR, failing_since=_STR)),
        _t("user_signed_up", "users", "A user joined the organization (signup or added).",
           _obj(user=USER, role_uuid=_STR)),
        _t("user_role_changed", "users", "A member's role in the organization changed.",
           _obj(user=USER, role_uuid=_STR)),
        _t("user_removed_from_org", "users", "A member was removed from the organization.",
           _obj(user=USER)),
        _t("role_updated", "roles", "A custom role's name, description or rights changed.",
           _obj(role=ROLE)),
        _t("role_deleted", "roles", "A custom role was deleted.", _obj(role=ROLE)),
        _t("org_signup_method_changed", "orgs",
           "The organization's signup mechanism changed (open or inviteOnly).",
           _obj(signup_mechanism=_STR)),
        _t("course_created", "courses", "A course was created.",
           _obj(course=COURSE)),
        _t("course_updated", "courses", "A course's fields changed.",
           _obj(course=COURSE, changed_fields=FIELDS)),
        _t("course_published", "courses", "A course was published.", _obj(course=COURSE)),
        _t("course_deleted", "courses", "A course was deleted.", _obj(course=COURSE)),
        _t("chapter_created", "content", "A chapter was added to a course.",
           _obj(chapter=CHAPTER, course=COURSE)),
        _t("activity_created", "content", "An activity was added to a chapter.",
           _obj(activity=ACTIVITY, course=COURSE, chapter=CHAPTER)),
        _t("activity_version_created", "content", "An activity was edited (a new version).",
           _obj(activity=ACTIVITY, course=COURSE, version=INT, changed_fields=FIELDS)),
        _t("activity_version_restored", "content",
           "An activity was restored to an earlier version (as a new version).",
           _obj(activity=ACTIVITY, course=COURSE, version=INT, restored_from_version=INT)),
        _t("collection_created", "collections", "A collection was created.",
           _obj(collection=COLLECTION)),
        _t("collection_updated", "collections", "A collection changed.",
           _obj(collection=COLLECTION, changed_fields=FIELDS)),
        _t("collection_deleted", "collections", "A collection was deleted.",
           _obj(collection=COLLECTION)),
        _t("course_enrolled", "learning", "A user enrolled (or re-enrolled) in a course.",
           _obj(user=USER, course=COURSE)),
        _t("course_unenrolled", "learning", "A user left a course.", _obj(user=USER, course=COURSE)),
        _t("activity_completed", "learning", "A learner completed an activity.",
           _obj(user=USER, course=COURSE, activity=ACTIVITY)),
        _t("course_completed", "learning", "A learner completed every activity of a course.",
           _obj(user=USER, course=COURSE)),
        _t("api_token_created", "api_tokens", "An API token was created.", _obj(token=TOKEN)),
        _t("api_token_revoked", "api_tokens", "An API token was revoked.", _obj(token=TOKEN)),
        _t("assessment_started", "assessments", "A user started an adaptive skill assessment.",
           _obj(user=USER, assessment=ASSESSMENT)),
        _t("assessment_completed", "assessments",
           "An adaptive skill assessment finished: its scores are ready (per concept, 0-100).",
           _obj(user=USER, assessment=_obj(session_id=_STR),
                overall_readiness={"type": ["integer", "null"]}, scored_concepts=INT)),
        _t("materials_ready", "assessments",
           "A completed assessment's learning materials are written (one per gap concept, flagged"
           " ones included): GET /api/materials/{session_id} lists them.",
           _obj(user=USER, assessment=_obj(session_id=_STR), materials=INT, flagged=INT)),
        _t("course_generation_completed", "generation",
           "A course generation job finished: its course exists (LearningStudio's course object).",
           _obj(jobId=_STR, course=GENERATED_COURSE)),
        _t("course_generation_failed", "generation",
           "A course generation job failed or was cancelled (JOB_CANCELLED).",
           _obj(jobId=_STR, error=GENERATION_ERROR)),
    )
}

ENVELOPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "event": _STR,
        "delivery_id": {"type": "string", "pattern": "^dlv_[0-9a-f]{16}$"},
        "timestamp": {"type": "string", "format": "date-time"},
        "org_id": INT,
        "data": {"type": "object"},
        "replayed": {"type": "boolean"},
    },
    "required": ["event", "delivery_id", "timestamp", "org_id", "data"],
}


def subscribable() -> list[str]:
    return [name for name, t in EVENT_TYPES.items() if t.subscribable]

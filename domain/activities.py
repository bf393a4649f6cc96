"""An activity (a lesson step) of a course, with its whole history as versions.

Every event of an activity is one version (its aggregate version): ``versions/{n}`` is the
activity replayed up to event ``n``; a restore appends ``ActivityRestored`` carrying the old
state, so history is never rewritten.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.editing import real_changes
from domain.errors import InvalidInput, NotFound

ACTIVITY_NOT_FOUND = "Activity not found"
LOCK_TYPES = ("public", "authenticated", "restricted")
# LearnHouse's activity types and their sub-types (markdown and embed are dynamic sub-types).
ACTIVITY_TYPES: dict[str, tuple[str, ...]] = {
    "TYPE_DYNAMIC": ("SUBTYPE_DYNAMIC_PAGE", "SUBTYPE_DYNAMIC_MARKDOWN", "SUBTYPE_DYNAMIC_EMBED"),
    "TYPE_VIDEO": ("SUBTYPE_VIDEO_YOUTUBE", "SUBTYPE_VIDEO_HOSTED"),
    "TYPE_DOCUMENT": ("SUBTYPE_DOCUMENT_PDF", "SUBTYPE_DOCUMENT_DOC"),
    "TYPE_ASSIGNMENT": ("SUBTYPE_ASSIGNMENT_ANY",),
    "TYPE_CUSTOM": ("SUBTYPE_CUSTOM",),
}
EDITABLE = (
    "name", "activity_type", "activity_sub_type", "content", "details", "published", "lock_type",
)
YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be"}


def check_activity(state: dict[str, Any]) -> None:
    """The shape rules every version of an activity obeys (pure; raises InvalidInput)."""
    if not str(state.get("name", "")).strip():
        raise InvalidInput("name must not be empty", field="name")
    kind, sub = state["activity_type"], state["activity_sub_type"]
    if kind not in ACTIVITY_TYPES:
        raise InvalidInput(f"activity_type must be one of {', '.join(ACTIVITY_TYPES)}", field="activity_type")
    if sub not in ACTIVITY_TYPES[kind]:
        raise InvalidInput(
            f"activity_sub_type must be one of {', '.join(ACTIVITY_TYPES[kind])} for {kind}",
            field="activity_sub_type",
        )
    if state["lock_type"] not in LOCK_TYPES:
        raise InvalidInput(f"lock_type must be one of {', '.join(LOCK_TYPES)}", field="lock_type")
    content = state["content"]
    if not isinstance(content, dict):
        raise InvalidInput("content must be an object", field="content")
    if sub == "SUBTYPE_DYNAMIC_MARKDOWN" and not isinstance(content.get("markdown"), str):
        raise InvalidInput("a markdown activity needs content.markdown (text)", field="content")
    if sub == "SUBTYPE_DYNAMIC_EMBED":
        _check_url(content.get("url"), "content.url", None)
    if sub == "SUBTYPE_VIDEO_YOUTUBE":
        _check_url(content.get("uri"), "content.uri", YOUTUBE_HOSTS)
    if sub in ("SUBTYPE_VIDEO_HOSTED", "SUBTYPE_DOCUMENT_PDF", "SUBTYPE_DOCUMENT_DOC") and not (
        isinstance(content.get("filename"), str)
    ):
        raise InvalidInput("an uploaded activity needs its file", field="file")


def _check_url(value: Any, field: str, hosts: set[str] | None) -> None:
    parsed = urlparse(value) if isinstance(value, str) else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InvalidInput(f"{field} must be an http(s) URL", field=field)
    if hosts is not None and parsed.hostname.lower() not in hosts:
        raise InvalidInput(f"{field} must be a YouTube URL", field=field)


class Activity(Aggregate):
    class ActivityCreated(Aggregate.Created):
        org_id: UUID
        course_id: UUID
        chapter_id: UUID
        name: str
        activity_type: str
        activity_sub_type: str
        content: dict[str, Any]
        details: dict[str, Any]
        published: bool
        lock_type: str

    @event(ActivityCreated)
    def __init__(
        self,
        org_id: UUID,
        course_id: UUID,
        chapter_id: UUID,
        name: str,
        activity_type: str,
        activity_sub_type: str,
        content: dict[str, Any],
        details: dict[str, Any],
        published: bool,
        lock_type: str,
    ) -> None:
        self.org_id = org_id
        self.course_id = course_id
        self.chapter_id = chapter_id
        self.name = name
        self.activity_type = activity_type
        self.activity_sub_type = activity_sub_type
        self.content = content
        self.details = details
        self.published = published
        self.lock_type = lock_type
        self.deleted = False

    def state(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in EDITABLE}

    class ActivityUpdated(Aggregate.Event):
        changes: dict[str, Any]

    @event(ActivityUpdated)
    def _apply_update(self, changes: dict[str, Any]) -> None:
        for key, value in changes.items():
            setattr(self, key, value)

    def update(self, changes: dict[str, Any]) -> None:
        self.ensure_alive()
        real = real_changes(self, changes, EDITABLE, skip_none=True)
        if real:
            check_activity({**self.state(), **real})
            self._apply_update(real)

    class ActivityRestored(Aggregate.Event):
        from_version: int
        state: dict[str, Any]

    @event(ActivityRestored)
    def _restore(self, from_version: int, state: dict[str, Any]) -> None:
        for key, value in state.items():
            setattr(self, key, value)

    def restore(self, from_version: int, old: Activity) -> None:
        self.ensure_alive()
        if not 1 <= from_version <= self.version:
            raise NotFound(f"Version {from_version} not found")
        self._restore(from_version, old.state())

    class ActivityDeleted(Aggregate.Event):
        pass

    @event(ActivityDeleted)
    def _delete(self) -> None:
        self.deleted = True

    def delete(self) -> None:
        self.ensure_alive()
        self._delete()

    def ensure_alive(self) -> None:
        if self.deleted:
            raise NotFound(ACTIVITY_NOT_FOUND)

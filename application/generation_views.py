"""LearningStudio's request and response bodies for the generation job API (seed 001), and
the checks on every field of a request."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import msgspec

from domain.errors import InvalidInput
from domain.generation_jobs import (
    ADD_ONS,
    COMPLETED,
    FAILED,
    FORMATS,
    LANGUAGES,
    OUTLINE_MAX,
    SUBJECT_MAX,
    TITLE_MAX,
)
from infrastructure.read_store import Row

JOB_PREFIX = "job_"


class GenerationRequest(msgspec.Struct, kw_only=True):
    """A checked ``POST /api/v1/courses`` JSON body."""

    subject: str
    format: str = "onepage"
    language_id: str = "en-US"
    outline: list[str] = msgspec.field(default_factory=list)
    add_ons: list[str] = msgspec.field(default_factory=list)
    callback_url: str = ""


class JobAccepted(msgspec.Struct, kw_only=True):
    """The seed's field names (camelCase) are the wire format of these bodies."""

    jobId: str
    status: str
    pollUrl: str


class GeneratedCourse(msgspec.Struct, kw_only=True):
    id: str
    name: str
    headline: str
    format: str
    languageId: str
    shareUrl: str
    createdAt: str
    course_uuid: str


class JobError(msgspec.Struct, kw_only=True):
    message: str
    code: str


class JobView(msgspec.Struct, kw_only=True):
    jobId: str
    status: str
    progress: int
    course: GeneratedCourse | None
    error: JobError | msgspec.UnsetType = msgspec.UNSET
    subject: str
    format: str
    languageId: str
    addOns: list[str]
    #: which generator wrote (or is writing) the course, e.g. ``offline:deterministic-v1``
    generator: str
    attempts: int
    createdAt: str
    updatedAt: str


class JobPage(msgspec.Struct, kw_only=True):
    jobs: list[JobView]
    page: int
    limit: int
    total: int


def public_job_id(job_uuid: str) -> str:
    return JOB_PREFIX + job_uuid


def poll_url(job_uuid: str) -> str:
    return f"/api/v1/courses/jobs/{public_job_id(job_uuid)}"


def _text(body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field}: must be a string", field=field)
    return value


def _strings(body: dict[str, Any], field: str) -> list[str]:
    value = body.get(field)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidInput(f"{field}: must be an array of strings", field=field)
    return list(value)


def parse_request(body: Any) -> GenerationRequest:
    """Every rule of the seed, each failure naming its field (the API answers 400)."""
    if not isinstance(body, dict):
        raise InvalidInput("body: must be a JSON object", field="body")
    subject = (_text(body, "subject") or "").strip()
    if not subject:
        raise InvalidInput("subject: Field required (1-200 characters)", field="subject")
    if len(subject) > SUBJECT_MAX:
        raise InvalidInput(f"subject: must be at most {SUBJECT_MAX} characters", field="subject")
    course_format = _text(body, "format") or "onepage"
    if course_format not in FORMATS:
        raise InvalidInput(f"format: must be one of {', '.join(FORMATS)}", field="format")
    language = _text(body, "languageId") or "en-US"
    if language not in LANGUAGES:
        raise InvalidInput(
            f"languageId: must be a supported locale such as en-US or pt-BR (got {language[:20]!r})",
            field="languageId",
        )
    outline = [title.strip() for title in _strings(body, "outline")]
    if len(outline) > OUTLINE_MAX:
        raise InvalidInput(f"outline: at most {OUTLINE_MAX} titles", field="outline")
    if any(not title or len(title) > TITLE_MAX for title in outline):
        raise InvalidInput(f"outline: every title must be 1-{TITLE_MAX} characters", field="outline")
    add_ons = _strings(body, "addOns")
    unknown = [name for name in add_ons if name not in ADD_ONS]
    if unknown:
        raise InvalidInput(
            f"addOns: unknown add-on {unknown[0][:40]!r}; allowed: {', '.join(ADD_ONS)}",
            field="addOns",
        )
    callback = (_text(body, "callbackUrl") or "").strip()
    if callback:
        parts = urlsplit(callback)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidInput("callbackUrl: must be an https:// URL", field="callbackUrl")
    return GenerationRequest(
        subject=subject, format=course_format, language_id=language, outline=outline,
        add_ons=list(dict.fromkeys(add_ons)), callback_url=callback,
    )


def callback_course(completed: Any) -> dict[str, Any]:
    """The seed's course object from a ``GenerationCompleted`` event (callbacks, webhooks)."""
    course_id = f"course_{completed.course_id}"
    return {
        "id": course_id, "name": completed.course_name, "headline": completed.headline,
        "format": completed.format, "languageId": completed.language_id,
        "shareUrl": completed.share_url, "createdAt": completed.timestamp.isoformat(),
        "course_uuid": course_id,
    }


def job_view(row: Row) -> JobView:
    course = None
    if row["status"] == COMPLETED and row["course_uuid"]:
        course_id = "course_" + row["course_uuid"]
        course = GeneratedCourse(
            id=course_id, name=row["course_name"] or "", headline=row["headline"] or "",
            format=row["format"], languageId=row["language_id"], shareUrl=row["share_url"] or "",
            createdAt=row["finished_at"] or row["updated_at"], course_uuid=course_id,
        )
    error: JobError | msgspec.UnsetType = msgspec.UNSET
    if row["status"] == FAILED:
        error = JobError(message=row["error_message"] or "", code=row["error_code"] or "")
    return JobView(
        jobId=public_job_id(row["job_uuid"]), status=row["status"], progress=int(row["progress"]),
        course=course, error=error, subject=row["subject"], format=row["format"],
        languageId=row["language_id"], addOns=msgspec.json.decode(row["add_ons"]),
        generator=row["generator"], attempts=int(row["attempts"]), createdAt=row["created_at"],
        updatedAt=row["updated_at"],
    )

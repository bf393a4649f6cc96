"""Activities: the LearnHouse types, uploads through the storage port, and versions from the log.

Versions: every event of an activity is a version (its aggregate version), so history costs
nothing extra; ``restore`` appends ``ActivityRestored`` with the old state (history stays).
Uploads: size limit ``settings.max_upload_bytes`` (→ 413), content type checked against the
sub-type (PDFs must also start with ``%PDF-``), stored before the event is appended, so an
acknowledged activity never points at a missing file.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from application.authorization import Principal
from application.content import ActivityDraft, new_activity
from application.content_access import CONTENT_MODELS, ContentAccess
from application.content_views import ActivityVersionView, ActivityView
from application.paging import page_of
from application.ports import FileStorage
from application.uploads import Upload, check_size
from application.writer import Writer
from domain.activities import ACTIVITY_NOT_FOUND, Activity
from domain.chapters import CHAPTER_NOT_FOUND
from domain.errors import InvalidInput, NotFound
from infrastructure.read_store import Row
from projections.content import sql_value
from projections.queries.content import ContentQueries, activity_view

UPLOAD_TYPES: dict[str, dict[str, str]] = {
    "SUBTYPE_VIDEO_HOSTED": {
        "video/mp4": "mp4", "video/webm": "webm", "video/ogg": "ogv", "video/quicktime": "mov",
    },
    "SUBTYPE_DOCUMENT_PDF": {"application/pdf": "pdf"},
    "SUBTYPE_DOCUMENT_DOC": {
        "application/msword": "doc",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    },
}


class ActivityCreate(ActivityDraft, kw_only=True):
    chapter_id: int | str


class Activities:
    def __init__(
        self,
        writer: Writer,
        access: ContentAccess,
        queries: ContentQueries,
        files: FileStorage,
        max_upload_bytes: int,
    ) -> None:
        self._writer = writer
        self._access = access
        self._q = queries
        self._files = files
        self.max_upload_bytes = max_upload_bytes

    def create(
        self, principal: Principal, command: ActivityCreate, upload: Upload | None = None
    ) -> ActivityView:
        chapter = self._q.chapter_row(str(command.chapter_id))
        if chapter is None:
            raise NotFound(CHAPTER_NOT_FOUND)
        course = self._access.course(principal, chapter["course_uuid"])
        self._access.require(principal, course, "activities", "create")
        draft = ActivityDraft(**{k: v for k, v in msgspec.structs.asdict(command).items() if k != "chapter_id"})
        if upload is not None:
            draft.content = {**draft.content, **self._store(course, draft.activity_sub_type, upload)}
        activity = new_activity(course, UUID(chapter["chapter_uuid"]), draft)
        self._writer.save(activity, read_models=CONTENT_MODELS)
        return activity_view(self._row(str(activity.id)))

    def _store(self, course: Row, sub_type: str, upload: Upload) -> dict[str, Any]:
        allowed = UPLOAD_TYPES.get(sub_type)
        if allowed is None:
            raise InvalidInput(f"{sub_type} activities take no file upload", field="file")
        check_size(upload, self.max_upload_bytes)
        content_type = upload.media_type
        ext = allowed.get(content_type)
        if ext is None or (ext == "pdf" and not upload.data.startswith(b"%PDF-")):
            raise InvalidInput(
                f"file must be one of {', '.join(sorted(allowed))}", field="file"
            )
        if not upload.data:
            raise InvalidInput("file is empty", field="file")
        path = self._files.save(
            f"orgs/org_{course['org_uuid']}/courses/course_{course['course_uuid']}/activities",
            f"{upload.filename.rsplit('.', 1)[0] or 'file'}.{ext}",
            upload.data,
        )
        return {
            "filename": upload.filename, "file_id": path, "content_type": content_type,
            "size": len(upload.data),
        }

    def _row(self, ref: str) -> Row:
        row = self._q.activity_row(ref)
        if row is None:
            raise NotFound(ACTIVITY_NOT_FOUND)
        return row

    def _visible(self, principal: Principal, ref: str) -> tuple[Row, Row]:
        row = self._row(ref)
        try:
            course = self._access.course(principal, row["course_uuid"])
        except NotFound:
            raise NotFound(ACTIVITY_NOT_FOUND) from None
        if not row["published"] and not self._access.editor(principal, course):
            raise NotFound(ACTIVITY_NOT_FOUND)
        return row, course

    def get(self, principal: Principal, ref: str) -> ActivityView:
        row, course = self._visible(principal, ref)
        self._access.check_open(principal, course, row["lock_type"])
        return activity_view(row)

    def of_chapter(self, principal: Principal, chapter_ref: str, page: int, limit: int) -> list[ActivityView]:
        window = page_of(page, limit, 100)
        chapter = self._q.chapter_row(chapter_ref)
        if chapter is None:
            raise NotFound(CHAPTER_NOT_FOUND)
        try:
            course = self._access.course(principal, chapter["course_uuid"])
        except NotFound:
            raise NotFound(CHAPTER_NOT_FOUND) from None
        published_only = not self._access.editor(principal, course)
        rows = self._q.chapter_activity_rows(chapter["chapter_uuid"], published_only, window.number, window.limit)
        views = [activity_view(r) for r in rows]
        self._access.redact(principal, course, views)
        return views

    def _change(self, principal: Principal, ref: str, action: Any, mutate: Any) -> Row:
        row, course = self._visible(principal, ref)
        self._access.require(principal, course, "activities", action)

        def apply() -> None:
            activity = self._writer.events.get(UUID(row["activity_uuid"]), Activity)
            if activity is None or activity.deleted:
                raise NotFound(ACTIVITY_NOT_FOUND)
            mutate(activity)
            self._writer.save(activity, read_models=CONTENT_MODELS)

        self._writer.retrying(apply)
        return row

    def update(self, principal: Principal, ref: str, changes: dict[str, Any]) -> ActivityView:
        row = self._change(principal, ref, "update", lambda a: a.update(changes))
        return activity_view(self._row(row["activity_uuid"]))

    def delete(self, principal: Principal, ref: str) -> None:
        self._change(principal, ref, "delete", lambda a: a.delete())

    # -- versions -----------------------------------------------------------------------
    def _editable(self, principal: Principal, ref: str) -> Row:
        row, course = self._visible(principal, ref)
        self._access.require(principal, course, "activities", "update")
        return row

    def versions(self, principal: Principal, ref: str) -> list[ActivityVersionView]:
        row = self._editable(principal, ref)
        history = self._writer.events.history(UUID(row["activity_uuid"]))  # type: ignore[attr-defined]
        return [
            ActivityVersionView(
                version=e.originator_version,
                event=type(e).__name__,
                timestamp=e.timestamp.isoformat(),
                restored_from=getattr(e, "from_version", None),
            )
            for e in history
        ]

    def version(self, principal: Principal, ref: str, number: int) -> ActivityView:
        row = self._editable(principal, ref)
        old = self._at(row, number)
        return activity_view({
            **row, **{k: sql_value(v) for k, v in old.state().items()}, "version": number,
            "update_date": old.modified_on.isoformat(),
        })

    def _at(self, row: Row, number: int) -> Activity:
        if number < 1 or number > int(row["version"]):
            raise NotFound(f"Version {number} not found")
        old = self._writer.events.get(UUID(row["activity_uuid"]), Activity, version=number)
        if old is None:
            raise NotFound(f"Version {number} not found")
        return old

    def restore(self, principal: Principal, ref: str, number: int) -> ActivityView:
        row = self._editable(principal, ref)
        old = self._at(row, number)
        self._change(principal, ref, "update", lambda a: a.restore(number, old))
        return activity_view(self._row(row["activity_uuid"]))

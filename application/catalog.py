"""Catalog: courses (content, collections and search join this context in later issues)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from application.authorization import Authorization, Principal
from application.organizations import Organizations
from application.paging import page_of
from application.ports import FileStorage
from application.uploads import Upload
from application.views import CourseView
from application.writer import Writer
from domain.courses import Course
from domain.errors import InvalidInput, NotFound
from projections.queries.catalog import CatalogQueries

COURSE_NOT_FOUND = "Course not found"
CATALOG = ("catalog",)
THUMBNAIL_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}


def _looks_like(content_type: str, data: bytes) -> bool:
    """The bytes match the declared image type (a stored file is later served under it)."""
    if content_type == "image/png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if content_type == "image/jpeg":
        return data.startswith(b"\xff\xd8\xff")
    if content_type == "image/gif":
        return data.startswith((b"GIF87a", b"GIF89a"))
    if content_type == "image/webp":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    return False


class CourseCreate(msgspec.Struct, kw_only=True):
    name: str
    description: str
    about: str
    learnings: str = ""
    tags: str = ""
    public: bool = False
    published: bool = True


class Catalog:
    def __init__(
        self,
        writer: Writer,
        queries: CatalogQueries,
        authz: Authorization,
        orgs: Organizations,
        files: FileStorage,
        page_limit_max: int,
    ) -> None:
        self._writer = writer
        self._q = queries
        self._authz = authz
        self._orgs = orgs
        self._files = files
        self.page_limit_max = page_limit_max

    def create_course(
        self,
        principal: Principal,
        org_ref: str | int,
        command: CourseCreate,
        thumbnail: Upload | None = None,
    ) -> CourseView:
        course = self.new_course(principal, org_ref, command)
        if thumbnail is not None:
            course.update({"thumbnail_image": self._store_thumbnail(course.id, thumbnail)})
        self._writer.save(course, read_models=CATALOG)
        return self._view(str(course.id))

    async def create_course_async(
        self, principal: Principal, org_ref: str | int, command: CourseCreate
    ) -> CourseView:
        """``create_course`` without a thumbnail, for the event loop: the rights and lookups
        are cached reads, and the append and read-your-writes wait hold no thread."""
        course = self.new_course(principal, org_ref, command)
        position = await self._writer.save_async(course, read_models=CATALOG)
        return self._q.view_of_created(course, position)

    def new_course(self, principal: Principal, org_ref: str | int, command: CourseCreate) -> Course:
        """A course checked (the caller's right, its fields) and not yet saved."""
        org_uuid = self._orgs.org_uuid(org_ref)
        self._authz.require(principal, org_uuid, "courses", "create")
        for field in ("name", "description", "about"):
            if not str(getattr(command, field)).strip():
                raise InvalidInput(f"{field} must not be empty", field=field)
        author = principal.user_id or UUID(
            (principal.token.creator_uuid if principal.token else "").removeprefix("user_")
        )
        return Course(
            org_id=UUID(org_uuid),
            author_id=author,
            name=command.name.strip(),
            description=command.description,
            about=command.about,
            learnings=command.learnings,
            tags=command.tags,
            public=command.public,
            published=command.published,
            thumbnail_image="",
        )

    def _store_thumbnail(self, course_id: UUID, upload: Upload) -> str:
        content_type = upload.media_type
        ext = THUMBNAIL_TYPES.get(content_type)
        if ext is None:
            raise InvalidInput(
                f"thumbnail must be one of {', '.join(sorted(THUMBNAIL_TYPES))}", field="thumbnail"
            )
        if not _looks_like(content_type, upload.data):
            raise InvalidInput(f"thumbnail is not a valid {content_type} file", field="thumbnail")
        return self._files.save(f"courses/course_{course_id}", f"thumbnail.{ext}", upload.data)

    def _row_for(self, principal: Principal, ref: str) -> dict[str, Any]:
        row = self._q.course_row(ref)
        if row is None:
            raise NotFound(COURSE_NOT_FOUND)
        visibility = self._authz.course_visibility(principal, row["org_uuid"])
        if not visibility.allows(row):
            raise NotFound(COURSE_NOT_FOUND)
        return row

    def _view(self, ref: str) -> CourseView:
        row = self._q.course_row(ref)
        if row is None:
            raise NotFound(COURSE_NOT_FOUND)
        return self._q.views([row])[0]

    def get_course(self, principal: Principal, ref: str) -> CourseView:
        return self._q.views([self._row_for(principal, ref)])[0]

    def update_course(
        self, principal: Principal, ref: str, changes: dict[str, Any]
    ) -> CourseView:
        row = self._row_for(principal, ref)
        self._authz.require(
            principal, row["org_uuid"], "courses", "update", owner_uuid=row["author_uuid"]
        )
        published = changes.pop("published", None)
        course_id = UUID(row["course_uuid"])

        def apply() -> None:
            course = self._writer.events.get(course_id, Course)
            if course is None or course.deleted:
                raise NotFound(COURSE_NOT_FOUND)
            course.update({k: v for k, v in changes.items() if v is not None})
            if published is not None:
                course.set_published(bool(published))
            self._writer.save(course, read_models=CATALOG)

        self._writer.retrying(apply)
        return self._view(row["course_uuid"])

    def delete_course(self, principal: Principal, ref: str) -> None:
        row = self._row_for(principal, ref)
        self._authz.require(
            principal, row["org_uuid"], "courses", "delete", owner_uuid=row["author_uuid"]
        )
        course_id = UUID(row["course_uuid"])

        def apply() -> None:
            course = self._writer.events.get(course_id, Course)
            if course is None or course.deleted:
                raise NotFound(COURSE_NOT_FOUND)
            course.delete()
            self._writer.save(course, read_models=CATALOG)

        self._writer.retrying(apply)

    def list_courses(
        self, principal: Principal, org_slug: str, page: int, limit: int
    ) -> list[CourseView]:
        window = page_of(page, limit, self.page_limit_max)
        org_uuid = self._orgs.org_uuid_by_slug(org_slug)
        self._check_token_org(principal, org_uuid)
        visibility = self._authz.course_visibility(principal, org_uuid)
        return self._q.page(org_uuid, visibility, window.number, window.limit)

    def count_courses(self, principal: Principal, org_slug: str) -> int:
        org_uuid = self._orgs.org_uuid_by_slug(org_slug)
        self._check_token_org(principal, org_uuid)
        return self._q.count(org_uuid, self._authz.course_visibility(principal, org_uuid))

    def _check_token_org(self, principal: Principal, org_uuid: str) -> None:
        self._authz.require_token_org(principal, org_uuid)

"""Serving a course's thumbnail, to whoever may see the course.

A course's ``thumbnail_image`` is the stored file's path (``courses/course_<uuid>/<name>``); it
is served under ``/content/`` at that path, and at the paths LearnHouse's web client builds,
``/content/[orgs/]{org_uuid}/courses/{course_uuid}/thumbnails/{file}``. Only the file the
course currently names is served, and only when the caller may see the course (the same rule
as reading it): a private course's thumbnail is as closed as the course.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

from application.authorization import Authorization, Principal
from application.catalog import THUMBNAIL_TYPES
from domain.errors import NotFound, RuleBroken
from projections.queries.catalog import CatalogQueries

FILE_NOT_FOUND = "File not found"
MEDIA_TYPES = {ext: media for media, ext in THUMBNAIL_TYPES.items()}


class FileReader(Protocol):
    def open(self, relative: str) -> Path | None:
        """The file under the storage root, or None (missing, or outside the root)."""
        ...


@dataclass(frozen=True)
class ServedFile:
    path: Path
    media_type: str
    public: bool  # the course is public and published: shared caches may keep it


def parse_content_path(path: str) -> tuple[str | None, str, str]:
    """``(org_ref, course_ref, file)`` named by a content path; ``RuleBroken`` for paths that try
    to leave their folder, ``NotFound`` for any other shape."""
    parts = path.split("/")
    if path.startswith("/") or any(p in ("", ".", "..") or "\\" in p or "\x00" in p for p in parts):
        raise RuleBroken("Invalid path", code="INVALID_PATH")
    if len(parts) == 3 and parts[0] == "courses":
        return None, parts[1], parts[2]
    if parts[0] == "orgs":
        parts = parts[1:]
    if len(parts) >= 5 and parts[1] == "courses" and parts[3] == "thumbnails":
        return parts[0], parts[2], "/".join(parts[4:])
    raise NotFound(FILE_NOT_FOUND)


class CourseFiles:
    def __init__(self, catalog: CatalogQueries, authz: Authorization, files: FileReader) -> None:
        self._catalog = catalog
        self._authz = authz
        self._files = files

    def thumbnail(self, principal: Principal, path: str) -> ServedFile:
        org_ref, course_ref, name = parse_content_path(path)
        if not course_ref.startswith("course_"):
            raise NotFound(FILE_NOT_FOUND)
        row = self._catalog.course_row(course_ref)
        stored = str(row["thumbnail_image"]) if row else ""
        if row is None or not stored:
            raise NotFound(FILE_NOT_FOUND)
        if org_ref is not None and org_ref.removeprefix("org_") != row["org_uuid"]:
            raise NotFound(FILE_NOT_FOUND)
        # LearnHouse clients append the course's thumbnail_image to the thumbnails folder;
        # the bare file name is accepted as well.
        if name not in (stored, PurePosixPath(stored).name):
            raise NotFound(FILE_NOT_FOUND)
        if not self._authz.course_visibility(principal, row["org_uuid"]).allows(row):
            raise NotFound(FILE_NOT_FOUND)
        media_type = MEDIA_TYPES.get(PurePosixPath(stored).suffix.lstrip(".").lower())
        found = self._files.open(stored) if media_type else None
        if found is None or media_type is None:
            raise NotFound(FILE_NOT_FOUND)
        return ServedFile(found, media_type, bool(row["public"]) and bool(row["published"]))

"""Uploaded course thumbnails, served to whoever may see their course (``/content/...``)."""

from __future__ import annotations

from litestar import get
from litestar.response import File

from api.schemas import errors
from application.authorization import Principal
from application.course_files import CourseFiles


@get(
    "/content/{file_path:path}",
    operation_id="get_course_thumbnail",
    summary="A course thumbnail: /content/{thumbnail_image} or LearnHouse's "
    "/content/[orgs/]{org_uuid}/courses/{course_uuid}/thumbnails/{file}",
    tags=["courses"],
    sync_to_thread=False,
    # documented as plain bytes (generators take no wildcard image type); the File answers with
    # the stored image's own content type
    media_type="application/octet-stream",
    responses=errors(400, 401, 403, 404),
)
def course_thumbnail(course_files: CourseFiles, principal: Principal, file_path: str) -> File:
    served = course_files.thumbnail(principal, file_path.removeprefix("/"))
    return File(
        served.path,
        filename=served.path.name,
        content_disposition_type="inline",
        media_type=served.media_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            # A private course's thumbnail depends on who asks: never kept by a shared cache.
            "Cache-Control": "public, max-age=86400" if served.public else "private, no-cache",
        },
    )

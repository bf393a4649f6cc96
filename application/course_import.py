"""Bulk loading: whole courses, each with its chapters and activities, many to an append.

A migration or a catalog load creates thousands of courses. Created one command at a time,
each course costs two appends and two read-your-writes waits, and the read models apply a
few events per batch; here ``per_append`` course trees go into one transaction (50 of 25
events each: 4,540 -> 4,900 activities/s against 20, bench/bench_replay.py) and the read
models are waited for once, at the end, so the followers take the log in large batches
(``projections/engine/follower_loop.py``). Rights and fields are checked as the one-at-a-time
commands check them, every course before anything is appended.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from application.authorization import Authorization, Principal
from application.catalog import CATALOG, Catalog, CourseCreate
from application.content import ChapterImport, outline_aggregates
from application.content_access import CONTENT_MODELS
from application.writer import Writer
from infrastructure.bulk_collection import bulk_collection


class CourseOutline(msgspec.Struct, kw_only=True):
    """A course to create, with its chapters and their activities."""

    course: CourseCreate
    chapters: list[ChapterImport] = msgspec.field(default_factory=list)


class CourseImport:
    def __init__(self, writer: Writer, catalog: Catalog, authz: Authorization) -> None:
        self._writer = writer
        self._catalog = catalog
        self._authz = authz

    def import_courses(
        self,
        principal: Principal,
        org_ref: str | int,
        outlines: Sequence[CourseOutline],
        per_append: int = 50,
        progress: Callable[[int], None] | None = None,
    ) -> list[str]:
        """Create every outline's course in org ``org_ref``; their uuids, in order.
        ``progress`` is told how many courses are appended after each append."""
        with bulk_collection():  # thousands of aggregates made and kept until appended
            trees: list[tuple[str, list[Any]]] = []
            for outline in outlines:
                course = self._catalog.new_course(principal, org_ref, outline.course)
                row = {"org_uuid": str(course.org_id), "course_uuid": str(course.id), "author_uuid": str(course.author_id)}
                for resource in ("coursechapters", "activities"):
                    self._authz.require_course_content(principal, row, resource, "create")
                children, _ = outline_aggregates(row, outline.chapters)
                trees.append((str(course.id), [course, *children]))
            position = 0
            for start in range(0, len(trees), per_append):
                batch = trees[start : start + per_append]
                position = self._writer.save(*(aggregate for _, tree in batch for aggregate in tree))
                if progress is not None:
                    progress(start + len(batch))
            self._writer.settle(position, (*CATALOG, *CONTENT_MODELS))
            return [uuid for uuid, _ in trees]

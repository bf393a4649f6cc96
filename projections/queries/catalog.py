"""Queries over the course catalog, with the visibility rule applied in SQL."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import msgspec

from application.views import AuthorView, CourseView
from domain.ids import ref_lookup
from infrastructure.read_store import Row
from projections.catalog import CatalogProjection, created_course_row
from projections.queries.identity import IdentityQueries, user_view

CATALOG = ("catalog",)
#: course views carry their authors' user rows (identity)
CATALOG_AND_AUTHORS = ("catalog", "identity")


class CourseVisibility(msgspec.Struct, frozen=True):
    """What of one org's catalog a caller may see.

    ``everything``: every course (editors of the org); otherwise published courses that are
    public, plus (``member``) the org's private published courses, plus courses the caller
    authored (``author_uuid``).
    """

    everything: bool = False
    member: bool = False
    author_uuid: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        if self.everything:
            return "1 = 1", []
        clauses = ["(published = 1 AND public = 1)"]
        params: list[Any] = []
        if self.member:
            clauses.append("published = 1")
        if self.author_uuid:
            clauses.append("author_uuid = ?")
            params.append(self.author_uuid)
        return "(" + " OR ".join(clauses) + ")", params

    def allows(self, row: Row) -> bool:
        if self.everything:
            return True
        if row["published"] and (row["public"] or self.member):
            return True
        return self.author_uuid is not None and row["author_uuid"] == self.author_uuid


class CatalogQueries:
    def __init__(self, projection: CatalogProjection, identity: IdentityQueries) -> None:
        self._db = projection.store
        self._identity = identity
        self._cache = identity.cache
        self.courses = projection.table("courses")
        self.orgs = projection.table("orgs")

    def course_row(self, ref: str) -> Row | None:
        """A course by ``course_<uuid>``, bare uuid or numeric id."""
        column, value = ref_lookup(ref, "course")
        sql = f"SELECT * FROM {self.courses} WHERE {'id' if column == 'id' else 'course_uuid'} = ?"
        params = (value,)
        row = self._cache.get((sql, params), CATALOG, lambda: self._db.fetchone(sql, params))
        return None if row is None else dict(row)  # a copy: callers may add to it

    @functools.cached_property
    def _with_author(self) -> str:
        """Courses joined with their author's user row (columns ``author__*``): one query
        instead of a page query plus an authors query."""
        u = self._identity.users
        columns = ", ".join(
            f"u.{c} AS author__{c}"
            for c in (
                "id", "user_uuid", "username", "first_name", "last_name", "email",
                "avatar_image", "bio", "creation_date", "update_date",
            )
        )
        return f"SELECT c.*, {columns} FROM {self.courses} c LEFT JOIN {u} u ON u.user_uuid = c.author_uuid"

    def view_of_created(self, course: Any, position: int) -> CourseView:
        """A course just created at ``position`` (the catalog has applied it), built from the
        new aggregate with the row the projection wrote: no read back."""
        org = self._identity.org_row(str(course.org_id))
        row = created_course_row(
            course, str(course.id), position, int(org["id"]) if org else 0,
            course.created_on.isoformat(),
        )
        return self.views([row])[0]

    def views(self, rows: Sequence[Row]) -> list[CourseView]:
        joined = bool(rows) and "author__id" in rows[0]
        authors = {} if joined else self._identity.users_by_uuid({r["author_uuid"] for r in rows})
        out = []
        for r in rows:
            if joined:
                author = user_view(r, prefix="author__") if r["author__id"] is not None else None
            else:
                author = authors.get(r["author_uuid"])
            out.append(
                CourseView(
                    id=int(r["id"]),
                    org_id=int(r["org_id"]),
                    org_uuid=f"org_{r['org_uuid']}",
                    course_uuid=f"course_{r['course_uuid']}",
                    name=r["name"],
                    description=r["description"],
                    about=r["about"],
                    learnings=r["learnings"] or None,
                    tags=r["tags"] or None,
                    thumbnail_image=r["thumbnail_image"],
                    public=bool(r["public"]),
                    published=bool(r["published"]),
                    open_to_contributors=bool(r["open_to_contributors"]),
                    creation_date=r["creation_date"],
                    update_date=r["update_date"],
                    authors=[
                        AuthorView(
                            user=author,
                            creation_date=r["creation_date"],
                            update_date=r["creation_date"],
                        )
                    ]
                    if author
                    else [],
                )
            )
        return out

    def page(
        self, org_uuid: str, visibility: CourseVisibility, page: int, limit: int
    ) -> list[CourseView]:
        def load() -> list[CourseView]:
            where, params = visibility.where()
            rows = self._db.fetchall(
                f"{self._with_author} WHERE c.org_uuid = ? AND {where}"
                " ORDER BY c.id DESC LIMIT ? OFFSET ?",
                (org_uuid, *params, limit, (page - 1) * limit),
            )
            return self.views(rows)

        key = ("course_page", org_uuid, visibility, page, limit)
        return list(self._cache.get(key, CATALOG_AND_AUTHORS, load))

    def count(self, org_uuid: str, visibility: CourseVisibility) -> int:
        def load() -> int:
            where, params = visibility.where()
            row = self._db.fetchone(
                f"SELECT COUNT(*) AS n FROM {self.courses} WHERE org_uuid = ? AND {where}",
                (org_uuid, *params),
            )
            return int(row["n"]) if row else 0

        return self._cache.get(("course_count", org_uuid, visibility), CATALOG, load)

"""Search: ranked full-text over courses, chapters, activities and collections of one org.

Read-your-writes: content and collection writes wait for the ``search`` read model like any
other; course writes wait for the catalog only, so a search first waits (bounded) until the
index has caught up with the catalog. The response declares the index's lag (events behind
the log at query time).
"""

from __future__ import annotations

import msgspec

from application.authorization import Principal
from application.content_access import ContentAccess
from application.organizations import Organizations
from application.paging import page_of
from application.views import CourseView
from domain.errors import InvalidInput
from infrastructure.read_store import Row
from projections.engine.positions import PositionBoard
from projections.queries.search import KINDS, SearchQueries, SearchScope

MAX_LIMIT = 50
PREFIX = {"course": "course_", "chapter": "chapter_", "activity": "activity_", "collection": "collection_"}


class SearchHit(msgspec.Struct, kw_only=True):
    id: int
    uuid: str
    name: str
    course_uuid: str | None = None


class SearchGroup(msgspec.Struct, kw_only=True):
    total: int
    items: list[SearchHit]


class SearchResults(msgspec.Struct, kw_only=True):
    query: str
    page: int
    limit: int
    courses: list[CourseView]
    total_courses: int
    chapters: SearchGroup
    activities: SearchGroup
    collections: SearchGroup
    index_lag: int


class Search:
    def __init__(
        self, queries: SearchQueries, access: ContentAccess, orgs: Organizations,
        board: PositionBoard, events: object, wait_timeout: float,
    ) -> None:
        self._q = self.queries = queries
        self._access = access
        self._orgs = orgs
        self._board = board
        self._events = events
        self._timeout = wait_timeout

    def _scope(self, principal: Principal, slug: str, query: str, page: int, limit: int) -> SearchScope:
        if not 1 <= len(query.strip()) <= 200:
            raise InvalidInput("query must be 1 to 200 characters", field="query")
        page_of(page, limit, MAX_LIMIT, clamp=False)
        org_uuid = self._orgs.org_uuid_by_slug(slug)
        self._access.authz.require_token_org(principal, org_uuid)
        self._access.authz.require_token_right(principal, org_uuid, "search", "read")
        # Course writes wait for the catalog only: let the index catch up with it (bounded).
        self._board.wait(self._board.position("catalog"), ("search",), self._timeout)
        v = self._access.authz.course_visibility(principal, org_uuid)
        return SearchScope(org_uuid=org_uuid, everything=v.everything, member=v.member, author_uuid=v.author_uuid)

    def _courses(self, rows: list[Row]) -> list[CourseView]:
        catalog = self._access.catalog
        return catalog.views(self._q.rows_by_uuid(catalog.courses, "course_uuid", [r["uuid"] for r in rows]))

    def courses(self, principal: Principal, slug: str, query: str, page: int, limit: int) -> list[CourseView]:
        scope = self._scope(principal, slug, query, page, limit)
        return self._courses(self._q.search(scope, query, ("course",), page, limit)["course"])

    def everything(self, principal: Principal, slug: str, query: str, page: int, limit: int) -> SearchResults:
        scope = self._scope(principal, slug, query, page, limit)
        rows = self._q.search(scope, query, KINDS, page, limit)
        totals = self._q.totals(scope, query)
        lag = max(0, self._events.last_position() - self._board.position("search"))  # type: ignore[attr-defined]

        def group(kind: str) -> SearchGroup:
            return SearchGroup(total=totals[kind], items=[
                SearchHit(
                    id=int(r["doc_id"]), uuid=PREFIX[kind] + r["uuid"], name=r["title"],
                    course_uuid=f"course_{r['course_uuid']}" if r["course_uuid"] else None,
                )
                for r in rows[kind]
            ])

        return SearchResults(
            query=query, page=page, limit=limit, courses=self._courses(rows["course"]),
            total_courses=totals["course"], chapters=group("chapter"),
            activities=group("activity"), collections=group("collection"), index_lag=lag,
        )

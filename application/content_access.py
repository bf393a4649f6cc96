"""Who may see and change a course's content: shared by the content, learning and search
services so the same rule answers every route.

- Reading: the course must be visible to the caller (catalog visibility: public+published, or
  the org's members for private published courses, or editors); otherwise it does not exist
  for them (404), which keeps private content invisible across orgs.
- Unpublished activities are seen only by those who may edit the course's activities.
- ``lock_type``: ``public`` content for anyone who sees the course, ``authenticated`` for
  signed-in callers, ``restricted`` for members of the course's org.
- Changing: ``Authorization.require_course_content`` (content right AND courses.update, with
  ``*_own`` for authors).
"""

from __future__ import annotations

from typing import Any

from application.authorization import Authorization, Principal
from application.content_views import ActivityView
from domain.errors import Forbidden, NotFound, Unauthenticated
from infrastructure.read_store import Row
from projections.queries.catalog import CatalogQueries

COURSE_NOT_FOUND = "Course not found"
CONTENT_MODELS: tuple[str, ...] = ("content", "search")


class ContentAccess:
    def __init__(self, catalog: CatalogQueries, authz: Authorization) -> None:
        self.catalog = catalog
        self.authz = authz

    def course(self, principal: Principal, ref: str | int) -> Row:
        """A course row the caller may see (numeric id, ``course_<uuid>`` or bare uuid)."""
        row = self.catalog.course_row(str(ref))
        if row is None:
            raise NotFound(COURSE_NOT_FOUND)
        if principal.token is not None and principal.token.org_uuid != row["org_uuid"]:
            raise NotFound(COURSE_NOT_FOUND)
        if not self.authz.course_visibility(principal, row["org_uuid"]).allows(row):
            raise NotFound(COURSE_NOT_FOUND)
        return row

    def editor(self, principal: Principal, course: Row) -> bool:
        """May see drafts (unpublished activities) of this course."""
        return self.authz.can_edit_course_content(principal, course, "activities", "update")

    def require(self, principal: Principal, course: Row, resource: str, action: Any) -> None:
        self.authz.require_course_content(principal, course, resource, action)

    def may_open(self, principal: Principal, course: Row, lock_type: str) -> bool:
        if lock_type == "authenticated":
            return not principal.is_anonymous
        if lock_type == "restricted":
            return self.authz.is_member(principal, course["org_uuid"])
        return True

    def check_open(self, principal: Principal, course: Row, lock_type: str) -> None:
        if self.may_open(principal, course, lock_type):
            return
        if principal.is_anonymous:
            raise Unauthenticated("You should be logged in to access this activity")
        raise Forbidden("This activity is restricted to members of the organization")

    def redact(self, principal: Principal, course: Row, views: list[ActivityView]) -> None:
        """Locked activities stay listed (the learner sees the outline) without their content."""
        for view in views:
            if not self.may_open(principal, course, view.lock_type):
                view.content = {}

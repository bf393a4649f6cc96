"""Collections: named sets of courses. Public collections are listed to anyone; private ones to
the org's members. The courses inside are filtered by the caller's own course visibility, so a
collection never leaks a course the caller could not open."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from application.authorization import Principal
from application.content_access import ContentAccess
from application.content_views import CollectionView
from application.organizations import Organizations
from application.paging import page_of
from application.writer import Writer
from domain.collections import COLLECTION_NOT_FOUND, Collection
from domain.errors import InvalidInput, NotFound
from infrastructure.read_store import Row
from projections.collections import CollectionQueries, course_ids

COLLECTION_MODELS: tuple[str, ...] = ("collections", "search")


class CollectionCreate(msgspec.Struct, kw_only=True):
    name: str
    org_id: int | str
    public: bool = False
    description: str = ""
    courses: list[int | str] = msgspec.field(default_factory=list)


class Collections:
    def __init__(
        self, writer: Writer, access: ContentAccess, queries: CollectionQueries, orgs: Organizations,
        page_limit_max: int,
    ) -> None:
        self._writer = writer
        self._access = access
        self._authz = access.authz
        self._q = queries
        self._orgs = orgs
        self._page_limit_max = page_limit_max

    def _course_uuids(self, org_uuid: str, refs: list[int | str]) -> list[str]:
        out: list[str] = []
        for ref in refs:
            row = self._access.catalog.course_row(str(ref))
            if row is None or row["org_uuid"] != org_uuid:
                raise InvalidInput(f"course {ref} is not a course of this organization", field="courses")
            if row["course_uuid"] not in out:
                out.append(row["course_uuid"])
        return out

    def create(self, principal: Principal, command: CollectionCreate) -> CollectionView:
        org_uuid = self._orgs.org_uuid(command.org_id)
        self._authz.require(principal, org_uuid, "collections", "create")
        name = command.name.strip()
        if not name:
            raise InvalidInput("name must not be empty", field="name")
        collection = Collection(
            org_id=UUID(org_uuid), name=name, description=command.description,
            public=command.public, course_ids=self._course_uuids(org_uuid, command.courses),
        )
        self._writer.save(collection, read_models=COLLECTION_MODELS)
        return self._view(principal, self._row(str(collection.id)))

    def _row(self, ref: str) -> Row:
        row = self._q.row(ref)
        if row is None:
            raise NotFound(COLLECTION_NOT_FOUND)
        return row

    def _visible(self, principal: Principal, ref: str) -> Row:
        row = self._row(ref)
        token = principal.token
        if token is not None and token.org_uuid != row["org_uuid"]:
            raise NotFound(COLLECTION_NOT_FOUND)
        if not row["public"] and not self._authz.can(principal, row["org_uuid"], "collections", "read"):
            raise NotFound(COLLECTION_NOT_FOUND)
        return row

    def _view(self, principal: Principal, row: Row) -> CollectionView:
        visibility = self._authz.course_visibility(principal, row["org_uuid"])
        rows = [self._access.catalog.course_row(uuid) for uuid in course_ids(row)]
        courses = [r for r in rows if r is not None and visibility.allows(r)]
        return CollectionView(
            id=int(row["id"]), org_id=int(row["org_id"]),
            collection_uuid=f"collection_{row['collection_uuid']}", name=row["name"],
            description=row["description"], public=bool(row["public"]),
            courses=self._access.catalog.views(courses),
            creation_date=row["creation_date"], update_date=row["update_date"],
        )

    def get(self, principal: Principal, ref: str) -> CollectionView:
        return self._view(principal, self._visible(principal, ref))

    def _change(self, principal: Principal, ref: str, action: Any, mutate: Any) -> Row:
        row = self._visible(principal, ref)
        self._authz.require(principal, row["org_uuid"], "collections", action)

        def apply() -> None:
            collection = self._writer.events.get(UUID(row["collection_uuid"]), Collection)
            if collection is None or collection.deleted:
                raise NotFound(COLLECTION_NOT_FOUND)
            mutate(collection)
            self._writer.save(collection, read_models=COLLECTION_MODELS)

        self._writer.retrying(apply)
        return row

    def update(self, principal: Principal, ref: str, changes: dict[str, Any]) -> CollectionView:
        row = self._visible(principal, ref)
        if "name" in changes and not str(changes["name"]).strip():
            raise InvalidInput("name must not be empty", field="name")
        if "courses" in changes:
            changes["course_ids"] = self._course_uuids(row["org_uuid"], changes.pop("courses"))
        self._change(principal, ref, "update", lambda c: c.update(changes))
        return self._view(principal, self._row(row["collection_uuid"]))

    def delete(self, principal: Principal, ref: str) -> None:
        self._change(principal, ref, "delete", lambda c: c.delete())

    def page(self, principal: Principal, org_ref: str, page: int, limit: int) -> list[CollectionView]:
        window = page_of(page, limit, self._page_limit_max)
        org_uuid = self._orgs.org_uuid(org_ref)
        self._authz.require_token_org(principal, org_uuid)
        members = self._authz.can(principal, org_uuid, "collections", "read")
        rows = self._q.page(org_uuid, members, window.number, window.limit)
        return [self._view(principal, r) for r in rows]

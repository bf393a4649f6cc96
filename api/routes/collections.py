"""LearnHouse collections: ``/api/v1/collections`` (JSON)."""

from __future__ import annotations

import msgspec
from litestar import Controller, delete, get, post, put

from api.params import Limit, NotBlank, Page
from api.schemas import Detail, errors
from application.authorization import Principal
from application.collections import CollectionCreate, Collections
from application.content_views import CollectionView


class CollectionUpdate(msgspec.Struct, kw_only=True):
    name: NotBlank | None = None
    description: str | None = None
    public: bool | None = None
    courses: list[int | str] | None = None


class CollectionController(Controller):
    path = "/api/v1/collections"
    tags = ["collections"]

    @post("/", operation_id="create_collection", responses=errors(401, 403, 404, 409, 413, 422), summary="Create a collection of courses", status_code=200, sync_to_thread=True)
    def create(self, collections: Collections, principal: Principal, data: CollectionCreate) -> CollectionView:
        return collections.create(principal, data)

    @get("/{collection_uuid:str}", operation_id="get_collection", responses=errors(401, 403, 404), summary="A collection with the courses the caller may see", sync_to_thread=False)
    def read(self, collections: Collections, principal: Principal, collection_uuid: str) -> CollectionView:
        return collections.get(principal, collection_uuid)

    @put("/{collection_uuid:str}", operation_id="update_collection", responses=errors(401, 403, 404, 409, 413, 422), summary="Update a collection (partial)", sync_to_thread=True)
    def change(self, collections: Collections, principal: Principal, collection_uuid: str, data: CollectionUpdate) -> CollectionView:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
        return collections.update(principal, collection_uuid, changes)

    @delete("/{collection_uuid:str}", operation_id="delete_collection", responses=errors(401, 403, 404, 409), summary="Delete a collection", status_code=200, sync_to_thread=True)
    def remove(self, collections: Collections, principal: Principal, collection_uuid: str) -> Detail:
        collections.delete(principal, collection_uuid)
        return Detail(detail="Collection deleted")

    @get("/org/{org_id:str}/page/{page:int}/limit/{limit:int}", operation_id="list_collections", responses=errors(401, 403, 404, 422), summary="Collections of an organization, newest first (plain array)", sync_to_thread=False)
    def list_page(self, collections: Collections, principal: Principal, org_id: str, page: Page, limit: Limit) -> list[CollectionView]:
        return collections.page(principal, org_id, page, limit)

    @get("/org_id/{org_id:str}/page/{page:int}/limit/{limit:int}", operation_id="list_collections_by_org_id", responses=errors(401, 403, 404, 422), summary="Same as /org/{org_id}/… (older LearnHouse path)", sync_to_thread=False)
    def list_page_legacy(self, collections: Collections, principal: Principal, org_id: str, page: Page, limit: Limit) -> list[CollectionView]:
        return collections.page(principal, org_id, page, limit)

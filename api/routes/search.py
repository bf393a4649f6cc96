"""Search across an organization's content: ``/api/v1/search/org_slug/{slug}``."""

from __future__ import annotations

from litestar import Controller, get

from api.params import Page, SearchLimit, SearchText
from api.schemas import errors
from application.authorization import Principal
from application.search import Search, SearchResults


class SearchController(Controller):
    path = "/api/v1/search"
    tags = ["search"]

    @get("/org_slug/{slug:str}", operation_id="search_org_content", responses=errors(401, 403, 404, 422), summary="Ranked search grouped by type (courses, chapters, activities, collections) with true totals", sync_to_thread=True)
    def search(self, search: Search, principal: Principal, slug: str, text: SearchText, page: Page = 1, limit: SearchLimit = 10) -> SearchResults:
        return search.everything(principal, slug, text, page, limit)

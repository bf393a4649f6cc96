"""Composition of the content issue's read models and services (called from api.bootstrap).

Kept apart from ``api.bootstrap`` so several sessions can wire their contexts without editing
the same lines: it adds the projections, sets ``container.content``, ``.activities``,
``.collections``, ``.learning`` and ``.search``, and registers the route handlers through
``container.extras["route_handlers"]`` (which ``api.app.create_app`` mounts).
"""

from __future__ import annotations

from typing import Any

from infrastructure.read_store import ReadStore
from projections.engine.framework import Projection


def content_projections(store: ReadStore) -> list[Projection]:
    from projections.collections import CollectionsProjection
    from projections.content import ContentProjection
    from projections.progress import ProgressProjection
    from projections.search_index import SearchIndexProjection

    return [
        ContentProjection(store), CollectionsProjection(store), ProgressProjection(store),
        SearchIndexProjection(store),
    ]


def install_content(container: Any) -> None:
    from api.routes.activities import ActivityController
    from api.routes.chapters import ChapterController
    from api.routes.collections import CollectionController
    from api.routes.course_content import CourseContentController
    from api.routes.search import SearchController
    from api.routes.trail import TrailController
    from application.activities import Activities
    from application.collections import Collections
    from application.content import Content
    from application.content_access import ContentAccess
    from application.learning import Learning
    from application.search import Search
    from projections.collections import CollectionQueries
    from projections.queries.catalog import CatalogQueries
    from projections.queries.content import ContentQueries
    from projections.queries.progress import ProgressQueries
    from projections.queries.search import SearchQueries

    projections = container.projections
    catalog = CatalogQueries(projections["catalog"], container.identity)
    access = ContentAccess(catalog, container.authz)
    content_q = ContentQueries(projections["content"], container.identity.cache)
    container.content = Content(container.writer, access, content_q, container.orgs)
    container.activities = Activities(
        container.writer, access, content_q, container.files, container.settings.max_upload_bytes
    )
    container.collections = Collections(
        container.writer, access, CollectionQueries(projections["collections"]), container.orgs,
        container.settings.page_limit_max,
    )
    container.learning = Learning(
        container.writer, access, content_q,
        ProgressQueries(projections["progress"], projections["content"], container.identity.cache),
        container.identity,
    )
    container.search = Search(
        SearchQueries(projections["search"], container.identity.cache), access, container.orgs, container.board,
        container.events, container.settings.read_your_writes_timeout,
    )
    container.extras.setdefault("route_handlers", []).extend(
        [ChapterController, ActivityController, CourseContentController, CollectionController,
         TrailController, SearchController]
    )

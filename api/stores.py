"""The stores and the built-in read models, built from settings, and nothing else.

``api.wiring`` builds the services on them; ``learnstream replay`` needs only these, and a
process that imports no service (no web framework, no model client, no password hasher) starts
in about 50 MB instead of 70.
"""

from __future__ import annotations

from dataclasses import dataclass

from application.writer import Writer
from infrastructure.event_store import EventStore, ensure_schema
from infrastructure.read_store import PostgresReadStore, ReadStore, SqliteReadStore
from infrastructure.settings import PostgresDsn, Settings
from projections.api_tokens import ApiTokenProjection
from projections.assessment_results import AssessmentResultsProjection
from projections.assessments import AssessmentsProjection
from projections.audit_chain import AuditChainProjection
from projections.catalog import CatalogProjection
from projections.collections import CollectionsProjection
from projections.content import ContentProjection
from projections.course_analytics import CourseAnalyticsProjection
from projections.engine.framework import Projection, ensure_tracking
from projections.engine.positions import PositionBoard
from projections.generation_jobs import GenerationJobsProjection
from projections.identity import IdentityProjection
from projections.invites import InvitesProjection
from projections.progress import ProgressProjection
from projections.search_index import SearchIndexProjection
from projections.webhook_publisher import WebhookPublisher


@dataclass
class Stores:
    settings: Settings
    events: EventStore
    read_store: ReadStore
    board: PositionBoard
    writer: Writer


@dataclass
class ReadModels:
    """Every projection, typed; ``by_name`` is what followers and the CLI iterate."""

    identity: IdentityProjection
    invites: InvitesProjection
    catalog: CatalogProjection
    api_tokens: ApiTokenProjection
    content: ContentProjection
    collections: CollectionsProjection
    progress: ProgressProjection
    search: SearchIndexProjection
    webhooks: WebhookPublisher
    generation_jobs: GenerationJobsProjection
    assessments: AssessmentsProjection
    assessment_results: AssessmentResultsProjection
    audit_chain: AuditChainProjection
    course_analytics: CourseAnalyticsProjection

    def by_name(self) -> dict[str, Projection]:
        return {p.name: p for p in vars(self).values()}


def build_stores(settings: Settings) -> Stores:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    read_store: ReadStore
    if settings.uses_postgres:
        dsn = PostgresDsn.parse(settings.database_url)
        ensure_schema(dsn)
        read_store = PostgresReadStore(dsn.conninfo(), dsn.schema)
    else:
        read_store = SqliteReadStore(settings.data_dir / "read_models.sqlite3")
    events = EventStore(settings)
    ensure_tracking(read_store)
    board = PositionBoard(read_store)
    return Stores(settings, events, read_store, board, Writer(events, board, settings.read_your_writes_timeout))


def build_projections(store: ReadStore, events: EventStore) -> ReadModels:
    """Every built-in read model and nothing else: what ``learnstream replay`` builds."""
    return ReadModels(
        identity=IdentityProjection(store), invites=InvitesProjection(store),
        catalog=CatalogProjection(store),
        api_tokens=ApiTokenProjection(store), content=ContentProjection(store),
        collections=CollectionsProjection(store), progress=ProgressProjection(store),
        search=SearchIndexProjection(store), webhooks=WebhookPublisher(store),
        generation_jobs=GenerationJobsProjection(store),
        assessments=AssessmentsProjection(store),
        assessment_results=AssessmentResultsProjection(store),
        audit_chain=AuditChainProjection(store, events),
        course_analytics=CourseAnalyticsProjection(store),
    )

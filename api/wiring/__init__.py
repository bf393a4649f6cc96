"""How the object graph is built from settings: stores, read models, then services.

Each builder returns typed values; ``api.bootstrap.Container`` holds them. Order matters only
where one service is handed another (identity before accounts, content access before content).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from api.stores import ReadModels, Stores
from api.wiring.assessment import build_assessment
from api.wiring.generation import (
    Generation,
    GenerationAccounts,
    GenerationQueue,
    build_generation,
)
from api.wiring.github import build_github_login
from api.wiring.history import HistoryServices, build_history
from api.wiring.org_admin import IdentityParts, build_org_admin
from application.accounts import Accounts
from application.activities import Activities
from application.api_token_usage import UsageCoalescer
from application.api_tokens import ApiTokens
from application.assessment import Assessments
from application.assessment_deletion import AssessmentDeletion
from application.assessment_reports import AssessmentReports
from application.audit_export import AuditExport
from application.authorization import Authorization
from application.catalog import Catalog
from application.collections import Collections
from application.content import Content
from application.content_access import ContentAccess
from application.course_analytics import CourseAnalytics
from application.course_files import CourseFiles
from application.course_import import CourseImport
from application.erasure import Erasures
from application.gap_analysis import GapAnalyses
from application.github_login import GitHubLogin
from application.invites import Invites
from application.knowledge import Knowledge
from application.learning import Learning
from application.learning_admin import LearningAdmin
from application.materials import Materials
from application.model_keys import ModelKeys
from application.org_roles import OrgRoles
from application.organizations import Organizations
from application.ports import LoginThrottle
from application.profiles import Profiles
from application.search import Search
from application.signups import Signups
from application.time_travel import TimeTravel
from application.webhooks import Webhooks
from infrastructure.file_storage import LocalFileStorage
from infrastructure.login_throttle import MemoryLoginThrottle
from infrastructure.materials_worker import MaterialsWorker
from infrastructure.passwords import Argon2idHasher
from infrastructure.rate_limit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from infrastructure.secret_box import SecretBox
from infrastructure.session_keys import SessionKeys
from infrastructure.session_tokens import JwtCodec, load_or_create_secret
from infrastructure.settings import Settings
from infrastructure.ssrf_guard import check_url
from infrastructure.token_hashing import TokenHasher
from infrastructure.webhooks.outbox import DAY_MS, SCHEDULE, Outbox
from infrastructure.webhooks.worker import DeliveryWorker
from projections.collections import CollectionQueries
from projections.engine.framework import Projection
from projections.engine.read_cache import ReadCache
from projections.queries.api_tokens import ApiTokenQueries, TokenUsage
from projections.queries.assessments import AssessmentQueries
from projections.queries.catalog import CatalogQueries
from projections.queries.content import ContentQueries
from projections.queries.identity import IdentityQueries
from projections.queries.invites import InviteQueries
from projections.queries.progress import ProgressQueries
from projections.queries.search import SearchQueries
from projections.queries.webhooks import WebhookQueries
from projections.webhook_publisher import WebhookPublisher

if TYPE_CHECKING:
    from api.bootstrap import Container


@dataclass
class Services(Stores):
    projections: dict[str, Projection]
    read_models: ReadModels
    identity: IdentityQueries
    authz: Authorization
    accounts: Accounts
    orgs: Organizations
    org_roles: OrgRoles
    invites: Invites
    signups: Signups
    profiles: Profiles
    catalog: Catalog
    files: LocalFileStorage
    course_files: CourseFiles
    api_tokens: ApiTokens
    rate_limiter: RateLimiter
    secret_box: SecretBox
    webhook_outbox: Outbox
    webhooks: Webhooks
    content: Content
    course_import: CourseImport
    activities: Activities
    collections: Collections
    learning: Learning
    learning_admin: LearningAdmin
    search: Search
    generation: Generation
    generation_accounts: GenerationAccounts
    generation_queue: GenerationQueue
    knowledge: Knowledge
    model_keys: ModelKeys
    assessments: Assessments
    gap_analyses: GapAnalyses
    assessment_reports: AssessmentReports
    assessment_deletion: AssessmentDeletion
    materials: Materials
    materials_worker: MaterialsWorker
    github_login: GitHubLogin
    erasures: Erasures
    #: history as a product (``api.wiring.history``)
    audit_export: AuditExport
    course_analytics: CourseAnalytics
    time_travel: TimeTravel
    history: HistoryServices
    #: called in order by ``Container.close`` (flushes and connections these services own)
    closers: list[Callable[[], None]]


def build_services(settings: Settings, stores: Stores, models: ReadModels) -> Services:
    writer = stores.writer
    identity = IdentityQueries(models.identity, ReadCache(stores.board))
    authz = Authorization(identity)
    secret = settings.jwt_secret or load_or_create_secret(settings.data_dir)
    # One hasher and one throttle: a wrong current password given to change the password
    # counts against the same limits as a failed sign-in.
    hasher, throttle = Argon2idHasher(**_argon_profile(settings)), login_throttle(settings)
    accounts = Accounts(
        writer, identity, hasher,
        JwtCodec(secret, settings.access_token_minutes, settings.refresh_token_days),
        throttle,
    )
    orgs = Organizations(writer, identity, authz, InviteQueries(models.invites).signup_mode)
    files = LocalFileStorage(settings.data_dir / "files")
    catalog_q = CatalogQueries(models.catalog, identity)
    catalog = Catalog(writer, catalog_q, authz, orgs, files, settings.page_limit_max)

    usage = TokenUsage(stores.read_store)
    coalescer = UsageCoalescer(usage, settings.api_token_usage_flush_seconds)
    api_tokens = ApiTokens(
        writer, ApiTokenQueries(models.api_tokens, identity.memberships), usage, coalescer,
        TokenHasher.from_settings(settings.api_token_key, settings.data_dir), authz, orgs, identity,
    )
    limiter: RateLimiter = (
        RedisRateLimiter(settings.redis_url, settings.redis_prefix + "rl:")
        if settings.redis_url else MemoryRateLimiter()
    )

    outbox = build_outbox(models.webhooks, settings)
    box = SecretBox.from_settings(settings.secret_box_key, settings.data_dir)
    admin = build_org_admin(
        settings, writer, identity, authz, orgs, IdentityParts(accounts, hasher, throttle),
        (models.identity, models.invites), box,
    )
    allow = settings.webhooks_allow_private
    webhooks = Webhooks(
        writer, orgs, authz, WebhookQueries(models.webhooks, outbox), box,
        lambda url: check_url(url, allow_private=allow),
    )

    access = ContentAccess(catalog_q, authz)
    content_q = ContentQueries(models.content, identity.cache)
    learning = Learning(
        writer, access, content_q,
        ProgressQueries(models.progress, models.content, identity.cache), identity,
    )
    openlearning = build_assessment(
        settings, stores, models.assessments, identity, box, models.assessment_results
    )
    results = openlearning.results
    gen = build_generation(
        settings, writer, stores.board, models.generation_jobs, identity, authz, orgs, box,
    )
    history = build_history(stores, models, authz, orgs, catalog_q)
    return Services(
        settings=settings, events=stores.events, read_store=stores.read_store, board=stores.board,
        writer=writer, projections=models.by_name(), read_models=models, identity=identity,
        authz=authz, accounts=accounts, orgs=orgs, catalog=catalog, files=files,
        course_files=CourseFiles(catalog_q, authz, files),
        org_roles=admin.org_roles, invites=admin.invites, signups=admin.signups,
        profiles=admin.profiles,
        api_tokens=api_tokens, rate_limiter=limiter, secret_box=box, webhook_outbox=outbox,
        webhooks=webhooks,
        generation=gen.generation, generation_accounts=gen.accounts, generation_queue=gen.queue,
        content=Content(writer, access, content_q, orgs),
        course_import=CourseImport(writer, catalog, authz),
        activities=Activities(writer, access, content_q, files, settings.max_upload_bytes),
        collections=Collections(
            writer, access, CollectionQueries(models.collections), orgs, settings.page_limit_max,
        ),
        learning=learning,
        learning_admin=LearningAdmin(writer, access, content_q, learning, orgs, identity),
        search=Search(
            SearchQueries(models.search, identity.cache), access, orgs, stores.board,
            stores.events, settings.read_your_writes_timeout,
        ),
        knowledge=openlearning.knowledge, model_keys=openlearning.model_keys,
        assessments=openlearning.assessments,
        gap_analyses=results.gap_analyses, assessment_reports=results.assessment_reports,
        assessment_deletion=results.assessment_deletion, materials=results.materials,
        materials_worker=results.materials_worker,
        github_login=build_github_login(settings, writer, identity, accounts),
        erasures=Erasures(
            writer, identity, authz, stores.events.personal_data,
            AssessmentQueries(models.assessments), SessionKeys(stores.read_store, box),
            openlearning.model_keys,
        ),
        audit_export=history.audit_export, course_analytics=history.course_analytics,
        time_travel=history.time_travel, history=history,
        closers=[history.close, coalescer.close, limiter.close, throttle.close, openlearning.assessments.engine.close, results.materials_worker.stop],
    )


def login_throttle(settings: Settings) -> LoginThrottle:
    """Shared by every API process through Redis when it is configured."""
    if settings.redis_url:
        from infrastructure.redis_login_throttle import RedisLoginThrottle

        return RedisLoginThrottle(
            settings.redis_url, settings.redis_prefix,
            settings.login_max_failures, settings.login_lockout_seconds,
        )
    return MemoryLoginThrottle(settings.login_max_failures, settings.login_lockout_seconds)


def build_outbox(publisher: WebhookPublisher, settings: Settings, rng: random.Random | None = None) -> Outbox:
    return Outbox(
        publisher,
        schedule=SCHEDULE,
        keep_attempts=settings.webhooks_attempt_log,
        disable_after_ms=int(settings.webhooks_disable_after_days * DAY_MS),
        rng=rng,
    )


def build_webhook_worker(
    container: Container,
    clock: Callable[[], float] = time.time,
    outbox: Outbox | None = None,
    **overrides: Any,
) -> DeliveryWorker:
    settings = container.settings
    options: dict[str, Any] = {
        "timeout": settings.webhooks_timeout,
        "allow_private": settings.webhooks_allow_private,
        "concurrency": settings.webhooks_concurrency,
        "per_endpoint": settings.webhooks_per_endpoint,
        "lease_seconds": settings.webhooks_lease_seconds,
        "poll_seconds": settings.webhooks_poll_seconds,
        "retention_days": settings.webhooks_retention_days,
        **overrides,
    }
    return DeliveryWorker(
        outbox or container.webhook_outbox,
        container.events,
        container.secret_box,
        clock=clock,
        on_disable=container.webhooks.disable_failing,
        board=container.board,
        **options,
    )


def _argon_profile(settings: Settings) -> dict[str, int]:
    # Tests may ask for a light (still argon2id) profile to keep the suite fast.
    if settings.argon2_profile == "test":
        return {"time_cost": 1, "memory_kib": 1024, "parallelism": 1}
    return {}

"""How course generation is built from settings: its services, its worker and their parts.

Kept beside ``api.wiring`` (which calls ``build_generation``) so the composition root stays
one place while each context's construction stays readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from application.authorization import Authorization
from application.generation import Generation
from application.generation_accounts import GenerationAccounts
from application.generation_runner import GenerationRunner
from application.organizations import Organizations
from application.writer import Writer
from domain.generation_credits import parse_plans
from infrastructure.ai.model_source import ModelChoice
from infrastructure.generation_checkpoints import checkpoint_target
from infrastructure.generation_queue import GenerationQueue
from infrastructure.generation_worker import GenerationWorker
from infrastructure.model_keys import SealedModelKeys
from infrastructure.rate_limit import Limit
from infrastructure.secret_box import SecretBox
from infrastructure.settings import Settings
from infrastructure.ssrf_guard import check_url
from infrastructure.window_limit import MemoryWindowLimiter, RedisWindowLimiter, WindowLimiter
from projections.engine.positions import PositionBoard
from projections.generation_jobs import GenerationJobsProjection
from projections.queries.generation_jobs import GenerationJobQueries
from projections.queries.identity import IdentityQueries

if TYPE_CHECKING:
    from api.bootstrap import Container


@dataclass
class GenerationParts:
    generation: Generation
    accounts: GenerationAccounts
    queue: GenerationQueue


def build_generation(
    settings: Settings, writer: Writer, board: PositionBoard, projection: GenerationJobsProjection,
    identity: IdentityQueries, authz: Authorization, orgs: Organizations, box: SecretBox,
) -> GenerationParts:
    queries = GenerationJobQueries(projection)
    accounts = GenerationAccounts(
        writer, queries, authz, orgs, box, SealedModelKeys(projection.store, box),
        plans=parse_plans(settings.generation_plans),
        default_plan=settings.generation_default_plan,
        default_org_plan=settings.generation_default_org_plan,
    )
    # A sliding window ("30 requests in any minute"), shared through Redis when configured.
    limit = Limit.parse(settings.generation_rate_limit)
    limiter: WindowLimiter = (
        RedisWindowLimiter(settings.redis_url, settings.redis_prefix + "gl:")
        if settings.redis_url else MemoryWindowLimiter()
    )

    async def rate_check(key: str) -> float | None:
        return await limiter.hit(key, limit)

    allow = settings.webhooks_allow_private
    generation = Generation(
        writer, queries, authz, orgs, identity, accounts, board,
        rate_check=rate_check, check_url=lambda url: check_url(url, allow_private=allow, unresolved_ok=True),
        require_https=not allow, read_timeout=settings.read_your_writes_timeout,
    )
    return GenerationParts(generation, accounts, GenerationQueue(projection))


def share_url(settings: Settings) -> Any:
    base = settings.public_base_url.rstrip("/")

    def url(course_id: UUID) -> str:
        return f"{base}/course/{course_id}"

    return url


def build_generation_worker(container: Container, **overrides: Any) -> GenerationWorker:
    settings = container.settings
    models = ModelChoice(settings, org_key=container.generation_accounts.model_key)
    links = share_url(settings)

    def make_runner(graph: Any, worker: str) -> GenerationRunner:
        models.prepare()  # called on the worker's thread as it starts
        return GenerationRunner(
            container.events, models, graph, worker=worker,
            max_attempts=settings.generation_max_attempts,
            retry_seconds=settings.generation_retry_seconds, share_url=links,
        )

    options: dict[str, Any] = {
        "checkpoints": checkpoint_target(settings),
        "concurrency": settings.generation_concurrency,
        "lease_seconds": settings.generation_lease_seconds,
        "poll_seconds": settings.generation_poll_seconds,
        "attempt_timeout": settings.generation_attempt_timeout_seconds,
        "on_close": models.aclose,
        **overrides,
    }
    worker = GenerationWorker(container.generation_queue, make_runner, **options)
    projection = container.read_models.generation_jobs
    projection.on_queued(worker.wake)
    projection.on_cancelled(worker.cancelled)
    return worker

"""Composition of the webhooks context: publisher projection, management service, worker."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from application.webhooks import Webhooks
from infrastructure.read_store import ReadStore
from infrastructure.secret_box import SecretBox
from infrastructure.ssrf_guard import check_url
from infrastructure.webhooks.outbox import DAY_MS, SCHEDULE, Outbox
from infrastructure.webhooks.worker import DeliveryWorker
from projections.queries.webhooks import WebhookQueries
from projections.webhook_publisher import WebhookPublisher


def webhook_projections(store: ReadStore) -> list[Any]:
    return [WebhookPublisher(store)]


def build_outbox(container: Any, rng: random.Random | None = None) -> Outbox:
    settings = container.settings
    return Outbox(
        container.projections[WebhookPublisher.name],
        schedule=SCHEDULE,
        keep_attempts=settings.webhooks_attempt_log,
        disable_after_ms=int(settings.webhooks_disable_after_days * DAY_MS),
        rng=rng,
    )


def install_webhooks(container: Any) -> None:
    settings = container.settings
    outbox = build_outbox(container)
    box = SecretBox.from_settings(settings.secret_box_key, settings.data_dir)
    allow = settings.webhooks_allow_private
    container.extras["secret_box"] = box
    container.extras["webhook_outbox"] = outbox
    container.extras["webhooks"] = Webhooks(
        container.writer,
        container.orgs,
        container.authz,
        WebhookQueries(container.projections[WebhookPublisher.name], outbox),
        box,
        lambda url: check_url(url, allow_private=allow),
    )


def build_worker(
    container: Any,
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
        outbox or container.extras["webhook_outbox"],
        container.events,
        container.extras["secret_box"],
        clock=clock,
        on_disable=container.extras["webhooks"].disable_failing,
        board=container.board,
        **options,
    )


def start_webhook_worker(container: Any) -> DeliveryWorker | None:
    """The embedded/worker default: one in-process delivery worker beside the followers."""
    if not container.settings.webhooks_worker or "webhook_worker" in container.extras:
        return None
    worker = build_worker(container)
    worker.start()
    container.extras["webhook_worker"] = worker
    container.extras.setdefault("on_close", []).insert(0, worker.stop)
    return worker

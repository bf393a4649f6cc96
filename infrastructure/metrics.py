"""Process-wide Prometheus instruments and the text exposition behind ``GET /metrics``.

Counters and histograms live here, created once per process at import. With several processes
(API processes behind one port, a ``learnstream worker``) each one writes its samples to files
in ``PROMETHEUS_MULTIPROC_DIR`` and any of them serves the sum: prometheus_client decides at its
import whether to do so, which is why ``learnstream`` sets that variable (from
``LEARNSTREAM_METRICS_DIR``) before anything imports this module. The directory must be emptied
before the processes start (a tmpfs, or a fresh volume), or the counts of earlier runs stay in
the sums.

State that a database already holds (read-model lag, outbox depth) is not counted here: it is
read when scraped (``api.state_metrics``), so every process reports the same truth.
"""

from __future__ import annotations

import hmac
import os
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from infrastructure import redis_fallback

#: the classic text format, which every Prometheus server reads (Litestar adds the charset)
CONTENT_TYPE = "text/plain; version=0.0.4"

# ``*_created`` series (a timestamp per label set) double the output and no query here uses them.
disable_created_metrics()

# -- HTTP ------------------------------------------------------------------------------------
#: route templates, never raw paths (those hold ids: one series per course would grow forever)
UNMATCHED_ROUTE = "<unmatched>"
HTTP_REQUESTS = Counter(
    "learnstream_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "learnstream_http_request_duration_seconds",
    "Time from the request's arrival to the end of its response, by method and route template.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

# -- abuse protection ------------------------------------------------------------------------
RATE_LIMIT_REFUSALS = Counter(
    "learnstream_rate_limit_refusals",
    "Requests refused with 429 by the rate limiter, by route group (read, write, auth, tokens).",
    ["group"],
)
LOGIN_THROTTLE_REFUSALS = Counter(
    "learnstream_login_throttle_refusals",
    "Logins refused with 429 because the account or address is locked out after failures.",
)
REDIS_FALLBACKS = Counter(
    "learnstream_redis_fallback_decisions",
    "Rate-limit and login-throttle decisions made in-process because Redis was unreachable, by"
    " component (rate_limit, login_throttle).",
    ["component"],
)
REDIS_OUTAGES = Counter(
    "learnstream_redis_outages",
    "Times a component lost Redis and switched to its in-process stand-in.",
    ["component"],
)


def _on_redis_fallback(event: str, component: str) -> None:
    (REDIS_FALLBACKS if event == redis_fallback.FALLBACK else REDIS_OUTAGES).labels(component).inc()


redis_fallback.subscribe(_on_redis_fallback)

# -- webhooks --------------------------------------------------------------------------------
#: succeeded; retrying (failed, another attempt is scheduled); failed (no attempt is left)
DELIVERY_OUTCOMES = ("succeeded", "retrying", "failed")
WEBHOOK_DELIVERIES = Counter(
    "learnstream_webhook_deliveries",
    "Webhook delivery attempts recorded, by outcome.",
    ["outcome"],
)
for _outcome in DELIVERY_OUTCOMES:
    WEBHOOK_DELIVERIES.labels(_outcome)  # every outcome is exported from the start, at 0


def count_rate_limit_refusal(group: str) -> None:
    RATE_LIMIT_REFUSALS.labels(group).inc()


def count_login_throttle_refusal() -> None:
    LOGIN_THROTTLE_REFUSALS.inc()


def count_deliveries(outcomes: Iterable[str]) -> None:
    for outcome in outcomes:
        WEBHOOK_DELIVERIES.labels(outcome).inc()


class RequestRecorder:
    """Counts a finished request; keeps each label set's child so the hot path skips
    ``labels()`` (a lock and a tuple lookup per metric per request)."""

    def __init__(self) -> None:
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        counter = self._counters.get((method, route, status))
        histogram = self._histograms.get((method, route))
        if counter is None or histogram is None:
            with self._lock:
                counter = self._counters[(method, route, status)] = HTTP_REQUESTS.labels(
                    method, route, str(status)
                )
                histogram = self._histograms[(method, route)] = HTTP_DURATION.labels(method, route)
        counter.inc()
        histogram.observe(seconds)


# -- exposition ------------------------------------------------------------------------------
LOOPBACK = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})


def scrape_allowed(authorization: str, client_host: str | None, token: str) -> bool:
    """The bearer token when one is set; otherwise only a client on this host."""
    if token:
        scheme, _, value = authorization.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            value.strip().encode(), token.encode()
        )
    return client_host in LOOPBACK


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class _Chain:
    """Several collectors read as one (``generate_latest`` takes anything with ``collect``)."""

    def __init__(self, sources: Iterable[Any]) -> None:
        self.sources = list(sources)

    def collect(self) -> Iterator[Any]:
        for source in self.sources:
            yield from source.collect()


_lock = threading.Lock()
_multiprocess_registry: CollectorRegistry | None = None


def _process_metrics() -> Any:
    """This process's instruments, or every process's sums in multiprocess mode."""
    global _multiprocess_registry
    if multiprocess_dir() is None:
        return REGISTRY
    with _lock:
        if _multiprocess_registry is None:
            _multiprocess_registry = CollectorRegistry()
            MultiProcessCollector(_multiprocess_registry)
        return _multiprocess_registry


def exposition(*state: Any) -> bytes:
    """The text format of every instrument plus the given scrape-time collectors."""
    return generate_latest(_Chain([_process_metrics(), *state]))  # type: ignore[arg-type]

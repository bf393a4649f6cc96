"""Handler dependencies that return at once are resolved in the request's own task.

Litestar resolves the independent dependencies of a handler (a batch) concurrently: an anyio
task group and one task per dependency, for every request. Ours are constants and a synchronous
principal resolver, with nothing to overlap, and the task group cost more than the rest of the
request: a ``GET .../count`` took 246 us of CPU through it and 86 us with the batch resolved in
turn (the upstream report: litestar-org/litestar#4563). A batch with any dependency that awaits
(async, or run in a thread) is still resolved Litestar's way.
"""

from __future__ import annotations

from typing import Any

from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import DependencyContainer, resolve_dependency
from litestar._kwargs.kwargs_model import KwargsModel

_litestar_resolve = KwargsModel.resolve_dependencies


def _returns_at_once(dependency: DependencyContainer) -> bool:
    provide = dependency.provide
    return bool(provide.has_sync_callable) and not provide.has_async_generator_dependency


#: id(a handler's batches) -> (those batches, kept so that the id is never reused; whether
#: every dependency in them returns at once)
_decided: dict[int, tuple[Any, bool]] = {}


def _at_once(batches: list[set[DependencyContainer]]) -> bool:
    known = _decided.get(id(batches))
    if known is None:
        known = _decided[id(batches)] = (batches, all(_returns_at_once(d) for b in batches for d in b))
    return known[1]


async def _resolve_dependencies(self: KwargsModel, connection: Any, kwargs: dict[str, Any]) -> DependencyCleanupGroup:
    batches = self.dependency_batches
    if not _at_once(batches):
        return await _litestar_resolve(self, connection, kwargs)
    cleanup_group = DependencyCleanupGroup()
    for batch in batches:  # in dependency order; within a batch, any order will do
        for dependency in batch:
            await resolve_dependency(dependency, connection, kwargs, cleanup_group)
    return cleanup_group


def install() -> None:
    """Once per process, before the first request (idempotent)."""
    KwargsModel.resolve_dependencies = _resolve_dependencies  # type: ignore[method-assign]

"""Which language model a generation job uses: the offline writer, or Anthropic with the
org's own key (sealed, outside the log) or the server-wide ``LEARNSTREAM_ANTHROPIC_API_KEY``."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from uuid import UUID

from application.generation_runner import NoModelKey
from application.language_model import LanguageModel
from application.offline_course_writer import OfflineCourseWriter
from infrastructure.ai.anthropic_models import AnthropicModels
from infrastructure.settings import Settings

#: connection pools the Anthropic calls are spread over. With httpx, whose pool looks at every
#: one of its connections each time a request starts or ends, one pool of hundreds of
#: concurrent calls spent more CPU managing itself than sending (2.8 ms of CPU per call at 300
#: in flight with one pool, 2.1 ms with 16). With aiohttp (the worker's transport now) 4 and
#: 32 pools measured the same (50 jobs at once: 3.1-3.7 s either way); fewer pools keep fewer
#: idle connections. Every pool shares one TLS context.
POOLS = 4


class ModelChoice:
    """``ModelSource`` for the generation runner."""

    def __init__(self, settings: Settings, org_key: Callable[[UUID], str | None] | None = None) -> None:
        if settings.ai_provider not in ("offline", "anthropic"):
            raise ValueError(f"LEARNSTREAM_AI_PROVIDER must be offline or anthropic, not {settings.ai_provider!r}")
        self._offline = settings.ai_provider == "offline"
        self._writer = OfflineCourseWriter()
        self._server_key = settings.anthropic_api_key
        self._org_key = org_key
        self._pools = [
            AnthropicModels(
                model=settings.anthropic_model,
                max_tokens=settings.anthropic_max_tokens,
                timeout=settings.anthropic_timeout,
                base_url=settings.anthropic_base_url or None,
                max_attempts=settings.anthropic_max_attempts,
                # The generation worker's calls all come from its own event loop.
                transport="aiohttp",
            )
            for _ in range(POOLS)
        ]
        self._turn = itertools.count()

    def __repr__(self) -> str:
        return f"ModelChoice(offline={self._offline}, {self._pools[0]!r} x {len(self._pools)})"

    def prepare(self) -> None:
        """Import the SDK now, from the worker's own thread as it starts, when its jobs will
        call Anthropic: a first job would otherwise pay for the import (seconds, holding the
        interpreter lock the API's requests wait on)."""
        if not self._offline:
            import infrastructure.ai.anthropic_model  # noqa: F401

    def for_org(self, org_id: UUID) -> LanguageModel:
        if self._offline:
            return self._writer
        key = (self._org_key(org_id) if self._org_key is not None else None) or self._server_key
        if not key:
            raise NoModelKey("no Anthropic key for this organization or server")
        # One attempt's calls share a pool; attempts take turns over the pools.
        return self._pools[next(self._turn) % len(self._pools)].for_key(key)

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()

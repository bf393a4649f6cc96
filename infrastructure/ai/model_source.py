"""Which language model a generation job uses: the offline writer, or Anthropic with the
org's own key (sealed, outside the log) or the server-wide ``LEARNSTREAM_ANTHROPIC_API_KEY``."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from application.generation_runner import NoModelKey
from application.language_model import LanguageModel
from application.offline_course_writer import OfflineCourseWriter
from infrastructure.ai.anthropic_models import AnthropicModels
from infrastructure.settings import Settings


class ModelChoice:
    """``ModelSource`` for the generation runner."""

    def __init__(self, settings: Settings, org_key: Callable[[UUID], str | None] | None = None) -> None:
        if settings.ai_provider not in ("offline", "anthropic"):
            raise ValueError(f"LEARNSTREAM_AI_PROVIDER must be offline or anthropic, not {settings.ai_provider!r}")
        self._offline = settings.ai_provider == "offline"
        self._writer = OfflineCourseWriter()
        self._server_key = settings.anthropic_api_key
        self._org_key = org_key
        self._anthropic = AnthropicModels(
            model=settings.anthropic_model,
            max_tokens=settings.anthropic_max_tokens,
            timeout=settings.anthropic_timeout,
            base_url=settings.anthropic_base_url or None,
            max_attempts=settings.anthropic_max_attempts,
        )

    def __repr__(self) -> str:
        return f"ModelChoice(offline={self._offline}, {self._anthropic!r})"

    def for_org(self, org_id: UUID) -> LanguageModel:
        if self._offline:
            return self._writer
        key = (self._org_key(org_id) if self._org_key is not None else None) or self._server_key
        if not key:
            raise NoModelKey("no Anthropic key for this organization or server")
        return self._anthropic.for_key(key)

    async def aclose(self) -> None:
        await self._anthropic.aclose()

"""The ``LanguageModel`` port on Anthropic's Messages API, through the official async SDK.

Structured output is a forced tool call whose input schema is made from the requested Struct.
The answer's body is read with msgspec into the few fields we use, not into the SDK's pydantic
models (that parse was a tenth of a call's CPU, and a busy worker makes hundreds of calls).
The SDK's own retries are off (``max_retries=0``): ours count malformed answers as attempts too,
honour ``retry-after`` within a cap, and take an injectable ``sleep`` so tests can see the waits.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anthropic
import httpx2
import msgspec

from application.language_model import ModelBadOutput, StructuredRequest
from infrastructure.ai.anthropic_errors import classify
from infrastructure.ai.anthropic_models import Sleep
from infrastructure.ai.tool_schema import tool_input_schema

log = logging.getLogger("learnstream.ai")

T = TypeVar("T")
R = TypeVar("R")



class AnthropicModel:
    def __init__(
        self,
        api_key: str,
        *,
        model: str,
        max_tokens: int,
        timeout: float,
        base_url: str | None = None,
        max_attempts: int = 3,
        backoff_base: float = 0.5,
        max_wait: float = 30.0,
        sleep: Sleep = asyncio.sleep,
        http_client: httpx2.AsyncClient | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        # The key lives only inside the SDK client: nothing of ours can print it.
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key,
            base_url=base_url or None,
            timeout=timeout,
            max_retries=0,
            http_client=http_client,
        )
        self._owns_http_client = http_client is None
        self._model = model
        self._max_tokens = max_tokens
        self._base_url = base_url
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._max_wait = max_wait
        self._sleep = sleep

    @property
    def name(self) -> str:
        return f"anthropic:{self._model}"

    def __repr__(self) -> str:
        where = f", base_url={self._base_url!r}" if self._base_url else ""
        return f"AnthropicModel(model={self._model!r}{where})"

    async def structured(self, request: StructuredRequest[T]) -> T:
        params = self._message_params(request)
        attempt = 0
        while True:
            attempt += 1
            try:
                raw = await self._client.messages.with_raw_response.create(**params)
            except anthropic.APIError as exc:
                await self._after_failure(exc, attempt)
                continue
            try:
                return _decode(raw.http_response.content, request)
            except _Unreadable as exc:
                if attempt >= self._max_attempts:
                    raise ModelBadOutput(
                        f"{request.tool_name}: unreadable answer after {attempt} attempts: {exc}"
                    ) from None
                log.warning(
                    "model answer unreadable, asking again",
                    extra={"tool": request.tool_name, "attempt": attempt, "problem": str(exc)},
                )

    async def check_key(self) -> None:
        await self._with_retries(lambda: self._client.models.list(limit=1))

    async def aclose(self) -> None:
        if self._owns_http_client:
            await self._client.close()

    async def _with_retries(self, send: Callable[[], Awaitable[R]]) -> R:
        attempt = 0
        while True:
            attempt += 1
            try:
                return await send()
            except anthropic.APIError as exc:
                await self._after_failure(exc, attempt)

    async def _after_failure(self, exc: anthropic.APIError, attempt: int) -> None:
        """Wait before the next attempt, or raise the error this failure means."""
        error, retryable = classify(exc)
        if not retryable or attempt >= self._max_attempts:
            raise error from exc
        if error.retry_after is not None and error.retry_after > self._max_wait:
            # Waiting that long inside one call helps nobody: hand the wait to the caller.
            raise error from exc
        delay = self._delay(attempt, error.retry_after)
        log.warning(
            "model call failed, retrying",
            extra={"code": error.code, "attempt": attempt, "wait_seconds": round(delay, 3)},
        )
        await self._sleep(delay)

    def _delay(self, attempt: int, retry_after: int | None) -> float:
        if retry_after is not None:
            return float(retry_after)
        backoff = self._backoff_base * 2 ** (attempt - 1)
        # Jitter spreads the retries of many workflows that failed together.
        return min(self._max_wait, backoff + random.uniform(0, backoff / 2))

    def _message_params(self, request: StructuredRequest[Any]) -> dict[str, Any]:
        return {
            "model": self._model,
            "max_tokens": request.max_tokens or self._max_tokens,
            "system": [
                {"type": "text", "text": request.system, "cache_control": {"type": "ephemeral"}}
            ],
            "messages": [{"role": "user", "content": request.prompt}],
            "tools": [
                {
                    "name": request.tool_name,
                    "description": request.tool_description,
                    "input_schema": tool_input_schema(request.output),
                }
            ],
            "tool_choice": {"type": "tool", "name": request.tool_name},
        }


class _Unreadable(Exception):
    pass


class _Block(msgspec.Struct):
    type: str = ""
    name: str | None = None
    input: Any = None


class _Message(msgspec.Struct):
    """The part of a Messages API answer a structured call reads; the rest is skipped."""

    content: list[_Block] | None = None
    stop_reason: str | None = None


_message_decoder = msgspec.json.Decoder(_Message)


def _decode(body: bytes, request: StructuredRequest[T]) -> T:
    try:
        message = _message_decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise _Unreadable(f"not a Messages API answer: {exc}") from None
    for block in message.content or ():
        if block.type == "tool_use" and block.name == request.tool_name:
            try:
                # strict=False: a model writing "3" for an integer field is still a clear answer.
                return msgspec.convert(block.input, request.output, strict=False)
            except msgspec.ValidationError as exc:
                raise _Unreadable(str(exc)) from None
    raise _Unreadable(f"no {request.tool_name} tool call (stop_reason={message.stop_reason})")

"""One ``AnthropicModel`` per API key (server-wide, per organisation or per user), kept in a
small LRU so a busy worker does not build an SDK client per call.

Every model shares one HTTP connection pool, so evicting a key closes nothing an in-flight call
may still be using; ``aclose()`` closes the pool once, at shutdown. Every pool of the process
shares one TLS context: making one loads the CA bundle (20-35 ms of CPU here), and a worker
spreads its calls over several pools.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import ssl

    import httpx2

    from infrastructure.ai.anthropic_model import AnthropicModel

#: the SDK and its HTTP stack are imported by the first ``for_key``, not with this module:
#: importing ``anthropic`` costs seconds of start-up (hundreds of pydantic models), and a
#: server on the offline provider never calls it
Sleep = Callable[[float], Awaitable[None]]

#: The HTTP stack under the SDK. ``aiohttp`` (the SDK's ``DefaultAioHttpClient``: HTTP parsed
#: in C) costs a busy worker about half the CPU per call of ``httpx`` (httpcore and h11, pure
#: Python): measured on 50 generation jobs at once, 96 ms of server CPU per job with httpx and
#: 52-70 ms with aiohttp. Its session belongs to the event loop that made it, so it suits a
#: worker's own long-lived loop; ``httpx`` stays where calls come from several loops.
Transport = Literal["httpx", "aiohttp"]


class AnthropicModels:
    def __init__(
        self,
        *,
        model: str,
        max_tokens: int,
        timeout: float,
        base_url: str | None = None,
        max_attempts: int = 3,
        backoff_base: float = 0.5,
        max_wait: float = 30.0,
        sleep: Sleep = asyncio.sleep,
        capacity: int = 64,
        transport: Transport = "httpx",
    ) -> None:
        self._model = model
        self._transport = transport
        self._options: dict[str, Any] = dict(
            model=model,
            max_tokens=max_tokens,
            timeout=timeout,
            base_url=base_url or None,
            max_attempts=max_attempts,
            backoff_base=backoff_base,
            max_wait=max_wait,
            sleep=sleep,
        )
        self._capacity = capacity
        # Keyed by a digest so this map never holds a key in the clear.
        self._models: OrderedDict[str, AnthropicModel] = OrderedDict()
        self._http: httpx2.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"AnthropicModels(model={self._model!r}, cached={len(self._models)})"

    def for_key(self, api_key: str) -> AnthropicModel:
        if not api_key:
            raise ValueError("an Anthropic API key is required")
        digest = hashlib.sha256(api_key.encode()).hexdigest()
        found = self._models.get(digest)
        if found is not None:
            self._models.move_to_end(digest)
            return found
        if self._http is None:
            self._http = http_client(self._transport)
        from infrastructure.ai.anthropic_model import AnthropicModel

        made = AnthropicModel(api_key, http_client=self._http, **self._options)
        self._models[digest] = made
        while len(self._models) > self._capacity:
            self._models.popitem(last=False)
        return made

    async def aclose(self) -> None:
        self._models.clear()
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()


def http_client(transport: Transport) -> httpx2.AsyncClient:
    import anthropic

    if transport == "aiohttp":
        return anthropic.DefaultAioHttpClient(verify=_tls_context())
    return anthropic.DefaultAsyncHttpxClient(verify=_tls_context())


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The context the SDK's client would make for itself (``verify=True``), made once."""
    import httpx2

    return httpx2.create_ssl_context()

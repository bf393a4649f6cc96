"""The one port every model call goes through: a structured answer decoded into our own schema.

A model only writes text and judges answers; numbers come from the domain. So the port asks for
one typed answer (a msgspec Struct) per call, and reports failures as the few errors a user can
act on. Adapters: Anthropic (``infrastructure.ai``) and a deterministic offline one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True, slots=True)
class StructuredRequest(Generic[T]):
    """One question whose answer must decode into ``output`` (a msgspec Struct type)."""

    #: long and stable across calls, so adapters may cache it (Anthropic prompt caching)
    system: str
    prompt: str
    output: type[T]
    #: the answer is requested as a call of this tool; its schema is made from ``output``
    tool_name: str
    tool_description: str
    #: None → the adapter's configured default
    max_tokens: int | None = None


class LanguageModel(Protocol):
    @property
    def name(self) -> str:
        """Which generator answered, e.g. ``anthropic:claude-sonnet-4-5`` or
        ``offline:deterministic-v1``; recorded on what it wrote."""
        ...

    async def structured(self, request: StructuredRequest[T]) -> T:
        """Ask once (with the adapter's own retries); raise a ``ModelError`` on failure."""
        ...

    async def check_key(self) -> None:
        """Make a real, cheap call with the configured key; raise a ``ModelError`` if it fails."""
        ...


class ModelError(Exception):
    """A model call failed; ``code`` is stable and machine-readable."""

    code = "model_error"

    def __init__(self, message: str = "", *, retry_after: int | None = None) -> None:
        super().__init__(message or self.code)
        #: seconds the caller should wait before asking again, when the service said so
        self.retry_after = retry_after


class ModelAuthError(ModelError):
    """The key is invalid, revoked or not allowed to do this."""

    code = "model_auth_failed"


class ModelRateLimited(ModelError):
    """The service is rate limiting this key; ``retry_after`` says for how long, if known."""

    code = "model_rate_limited"


class ModelUnreachable(ModelError):
    """No connection to the service."""

    code = "model_unreachable"


class ModelTimedOut(ModelError):
    """The service did not answer in time."""

    code = "model_timed_out"


class ModelServerError(ModelError):
    """The service failed (5xx, overloaded) and kept failing through the retries."""

    code = "model_server_error"


class ModelRequestRejected(ModelServerError):
    """The service refused the request itself (a 4xx other than auth and rate limits): not
    something the user can fix, so it is reported like a server error, under its own code."""

    code = "model_request_rejected"

    def __init__(self, message: str = "", *, status: int, retry_after: int | None = None) -> None:
        super().__init__(message, retry_after=retry_after)
        self.status = status


class ModelBadOutput(ModelError):
    """The answer did not match the requested schema, through every retry."""

    code = "model_bad_output"


_SERVICE_ERROR = (502, "The AI service encountered an error. Please try again.")

# Texts are the seed's (Anthropic Error Responses); bad output has no seed row.
_SEED_ERRORS: tuple[tuple[type[ModelError], tuple[int, str]], ...] = (
    (
        ModelAuthError,
        (401, "Your API key is invalid or has been revoked. Please update it in settings."),
    ),
    (ModelRateLimited, (429, "Rate limit reached. Please wait a moment and try again.")),
    (ModelUnreachable, (502, "Unable to reach the AI service. Please try again shortly.")),
    (ModelTimedOut, (504, "The AI service timed out. Please try again.")),
    (
        ModelBadOutput,
        (502, "The AI service returned an answer we could not read. Please try again."),
    ),
    (ModelServerError, _SERVICE_ERROR),
)


def seed_error(exc: ModelError) -> tuple[int, str]:
    """The HTTP status and user-facing message for a model failure. A 429 should also carry a
    ``Retry-After`` header when ``exc.retry_after`` is set."""
    for kind, answer in _SEED_ERRORS:
        if isinstance(exc, kind):
            return answer
    return _SERVICE_ERROR

"""What an Anthropic SDK exception means for us: which ``ModelError`` and whether to retry."""

from __future__ import annotations

import math
import time
from email.utils import parsedate_to_datetime

import anthropic

from application.language_model import (
    ModelAuthError,
    ModelError,
    ModelRateLimited,
    ModelRequestRejected,
    ModelServerError,
    ModelTimedOut,
    ModelUnreachable,
)

OVERLOADED = 529


def classify(exc: anthropic.APIError) -> tuple[ModelError, bool]:
    """The error to raise, and whether another attempt may succeed."""
    # APITimeoutError is a subclass of APIConnectionError: test it first.
    if isinstance(exc, anthropic.APITimeoutError):
        return ModelTimedOut("the Anthropic API did not answer in time"), True
    if isinstance(exc, anthropic.APIConnectionError):
        return ModelUnreachable("could not connect to the Anthropic API"), True
    if isinstance(exc, anthropic.APIStatusError):
        return _from_status(exc)
    # A 2xx body the SDK could not read: the service misbehaved, and may not next time.
    return ModelServerError("the Anthropic API sent an unreadable response"), True


def _from_status(exc: anthropic.APIStatusError) -> tuple[ModelError, bool]:
    status = exc.status_code
    retry_after = retry_after_seconds(exc.response.headers.get("retry-after"))
    detail = _detail(exc)
    if status in (401, 403):
        return ModelAuthError(f"Anthropic refused the key ({status}{detail})"), False
    if status == 429:
        return ModelRateLimited(
            f"Anthropic rate limit (429{detail})", retry_after=retry_after
        ), True
    if status >= 500:
        what = "overloaded" if status == OVERLOADED else "server error"
        return ModelServerError(
            f"Anthropic {what} ({status}{detail})", retry_after=retry_after
        ), True
    message = f"Anthropic rejected the request ({status}{detail})"
    return ModelRequestRejected(message, status=status), False


def _detail(exc: anthropic.APIStatusError) -> str:
    # The API's own words (e.g. "invalid x-api-key") help an operator; they never echo the key.
    kind = getattr(exc, "type", None)
    said = getattr(exc, "api_message", None)
    parts = [str(part) for part in (kind, said) if part]
    return f": {' - '.join(parts)}" if parts else ""


def retry_after_seconds(value: str | None, *, now: float | None = None) -> int | None:
    """A ``retry-after`` header (seconds, or an HTTP date) as whole seconds, rounded up."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0, math.ceil(seconds))

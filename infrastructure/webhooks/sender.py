"""Signing and sending one webhook delivery over HTTP (no redirects, bounded time).

Two signature schemes ride on every request so receivers of either kind verify unchanged:
LearnHouse's ``X-Webhook-Signature: sha256=<hex HMAC(secret, body)>`` and Standard Webhooks'
``webhook-signature: v1,<base64 HMAC(key, "id.timestamp.body")>``. During a secret rotation
both secrets sign: the Standard Webhooks header carries two space-separated signatures, and
LearnHouse receivers get the old one in ``X-Webhook-Signature-Previous``.
"""

from __future__ import annotations

import base64
import functools
import hmac
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from infrastructure.ssrf_guard import UnsafeTarget
from infrastructure.webhooks.http_client import WebhookHttpClient

USER_AGENT = "learnstream-webhooks/1.0 (LearnHouse-Webhooks/1.0 compatible)"
RESPONSE_KEEP = 500


@functools.lru_cache(maxsize=4096)
def standard_key(secret: str) -> bytes:
    """The HMAC key Standard Webhooks derives from ``whsec_<base64>``."""
    body = secret.removeprefix("whsec_")
    return base64.b64decode(body + "=" * (-len(body) % 4))


def signature_headers(
    secrets: Sequence[str], event: str, delivery_id: str, body: bytes, timestamp: int
) -> dict[str, str]:
    if not secrets:
        raise ValueError("at least one secret is needed to sign")
    to_sign = f"{delivery_id}.{timestamp}.".encode() + body
    # hmac.digest: OpenSSL's one-shot HMAC, about half the cost of building hmac.new objects.
    standard = " ".join(
        "v1," + base64.b64encode(hmac.digest(standard_key(s), to_sign, "sha256")).decode()
        for s in secrets
    )
    learnhouse = ["sha256=" + hmac.digest(s.encode(), body, "sha256").hex() for s in secrets]
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Webhook-Event": event,
        "X-Webhook-Delivery": delivery_id,
        "X-Webhook-Signature": learnhouse[0],
        "webhook-id": delivery_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard,
    }
    if len(learnhouse) > 1:
        headers["X-Webhook-Signature-Previous"] = learnhouse[1]
    return headers


@dataclass(frozen=True)
class SendResult:
    ok: bool
    status: int | None
    body: str
    error: str
    duration_ms: int


class WebhookSender:
    """One keep-alive client per worker loop (``infrastructure.webhooks.http_client``); callers run many
    ``send`` calls concurrently."""

    def __init__(
        self,
        timeout: float = 10.0,
        allow_private: bool = False,
        wall_clock: Callable[[], float] = time.time,
        max_connections: int = 512,
        per_host: int = 32,
    ) -> None:
        self._timeout = timeout
        self._wall_clock = wall_clock
        self._client = WebhookHttpClient(timeout, allow_private, keep=RESPONSE_KEEP, pool_per_host=per_host)

    async def send(
        self, url: str, secrets: Sequence[str], event: str, delivery_id: str, body: bytes
    ) -> SendResult:
        started = time.perf_counter()

        def elapsed() -> int:
            return int((time.perf_counter() - started) * 1000)

        try:
            headers = signature_headers(
                secrets, event, delivery_id, body, int(self._wall_clock())
            )
            answer = await self._client.post(url, headers, body)
        except TimeoutError:
            return SendResult(False, None, "", f"Timed out after {self._timeout:g}s", elapsed())
        except UnsafeTarget as refused:
            return SendResult(False, None, "", f"Refused: {refused.detail}", elapsed())
        except Exception as failure:
            detail = str(failure) or type(failure).__name__
            return SendResult(False, None, "", f"{type(failure).__name__}: {detail}"[:500], elapsed())
        text = answer.head.decode("utf-8", "replace")
        ok = 200 <= answer.status < 300
        status = answer.status
        return SendResult(ok, status, text, "" if ok else f"HTTP {status}", elapsed())

    async def aclose(self) -> None:
        await self._client.aclose()

"""Signing and sending one webhook delivery over HTTP (httpx, no redirects, bounded time).

Two signature schemes ride on every request so receivers of either kind verify unchanged:
LearnHouse's ``X-Webhook-Signature: sha256=<hex HMAC(secret, body)>`` and Standard Webhooks'
``webhook-signature: v1,<base64 HMAC(key, "id.timestamp.body")>``. During a secret rotation
both secrets sign: the Standard Webhooks header carries two space-separated signatures, and
LearnHouse receivers get the old one in ``X-Webhook-Signature-Previous``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from infrastructure.ssrf_guard import check_url

USER_AGENT = "learnstream-webhooks/1.0 (LearnHouse-Webhooks/1.0 compatible)"
RESPONSE_KEEP = 500


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
    standard = " ".join(
        "v1," + base64.b64encode(hmac.new(standard_key(s), to_sign, hashlib.sha256).digest()).decode()
        for s in secrets
    )
    learnhouse = [
        "sha256=" + hmac.new(s.encode(), body, hashlib.sha256).hexdigest() for s in secrets
    ]
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
    """One shared async client; callers run many ``send`` calls concurrently."""

    def __init__(
        self,
        timeout: float = 10.0,
        allow_private: bool = False,
        wall_clock: Callable[[], float] = time.time,
        max_connections: int = 512,
    ) -> None:
        self._timeout = timeout
        self._allow_private = allow_private
        self._wall_clock = wall_clock
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=64),
            trust_env=False,
        )
        self._checked: dict[str, float] = {}

    def _guard(self, url: str) -> None:
        # Re-resolve now and then: a name that was public at registration may not be any more.
        now = time.monotonic()
        if self._allow_private or self._checked.get(url, 0.0) > now:
            return
        check_url(url, allow_private=False)
        self._checked[url] = now + 60.0

    async def send(
        self, url: str, secrets: Sequence[str], event: str, delivery_id: str, body: bytes
    ) -> SendResult:
        started = time.perf_counter()

        def elapsed() -> int:
            return int((time.perf_counter() - started) * 1000)

        try:
            self._guard(url)
            headers = signature_headers(
                secrets, event, delivery_id, body, int(self._wall_clock())
            )
            response = await self._client.post(url, content=body, headers=headers)
        except httpx.TimeoutException:
            return SendResult(False, None, "", f"Timed out after {self._timeout:g}s", elapsed())
        except Exception as failure:
            detail = getattr(failure, "detail", None) or str(failure) or type(failure).__name__
            return SendResult(False, None, "", f"{type(failure).__name__}: {detail}"[:500], elapsed())
        text = response.content[:RESPONSE_KEEP].decode("utf-8", "replace")
        ok = 200 <= response.status_code < 300
        return SendResult(ok, response.status_code, text, "" if ok else f"HTTP {response.status_code}", elapsed())

    async def aclose(self) -> None:
        await self._client.aclose()

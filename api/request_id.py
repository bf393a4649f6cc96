"""The id of the request being served, for log lines and the ``X-Request-ID`` header.

Held in a context variable: it follows the request's task and the threads that task hands
work to (``asyncio.to_thread`` and Litestar's ``sync_to_thread`` copy the context).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from contextvars import ContextVar

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
HEADER = b"x-request-id"
_SANE = re.compile(rb"[A-Za-z0-9._-]{1,128}")


def request_id_of(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The client's id when it is a short token (a proxy's id then follows the request into
    our logs), else a new one; anything else is not echoed (no header injection, no floods)."""
    for name, value in headers:
        if name == HEADER:
            if _SANE.fullmatch(value):
                return value.decode("ascii")
            break
    return uuid.uuid4().hex

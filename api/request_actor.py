"""The actor of each HTTP request, recorded with every event the request causes.

``ActorScope`` opens the request's scope (``infrastructure.event_metadata``) with its request
id, inside ``api.observability``'s wrapper (which sets that id); the principal resolver then
names the caller (``note_principal``). A request that never resolves a caller stays
``anonymous``.
"""

from __future__ import annotations

from typing import Any

from api.request_id import REQUEST_ID
from application.authorization import Principal
from infrastructure.event_metadata import (
    ANONYMOUS,
    begin_request,
    end_request,
    note_actor,
    token_actor,
    user_actor,
)


def actor_of(principal: Principal) -> str:
    if principal.token is not None:
        return token_actor(principal.token.token_uuid)
    if principal.user_id is not None:
        return user_actor(str(principal.user_id))
    return ANONYMOUS


def note_principal(principal: Principal) -> Principal:
    note_actor(actor_of(principal))
    return principal


class ActorScope:
    """ASGI: one actor scope per HTTP request (and per websocket connection)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        token = begin_request(REQUEST_ID.get())
        try:
            await self.app(scope, receive, send)
        finally:
            end_request(token)

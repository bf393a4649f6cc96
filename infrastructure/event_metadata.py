"""Who caused each event: the actor and the request id, stored with the event itself.

Every appended event carries ``{"actor": ..., "request_id": ...}`` under the reserved key
``_meta`` of its encoded state. The actor is one of:

- ``user:<uuid>``: a signed-in user (a session);
- ``token:<uuid>``: an API token (it acts for its creator, named in its ``ApiTokenIssued``);
- ``anonymous``: an unauthenticated request (a signup, a sign-in);
- ``system:<component>``: a worker or a command (``system:generation``, ``system:cli``).

The API opens a request scope per HTTP request (``begin_request``) and fills it in once the
caller is known (``note_actor``): a scope is one mutable slot in a context variable, so the
caller resolved in a dependency (which Litestar may run in a task of its own) is seen by the
handler, by the threads it hands work to and by a response body streamed after it returned.
Workers and commands name themselves with ``acting_as``; a thread that did not is
``system:<its thread name>``.

Events are stamped in the caller's thread when they are saved (``stamp``): the append writer
encodes them later, in its own thread, where none of this context exists. The mapper drops the
key on decode, so domain events look as they always did; readers of raw entries (audit export,
history) take it with ``split_meta``. Entries written before this existed have no ``_meta``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

META_KEY = "_meta"
ANONYMOUS = "anonymous"


def user_actor(user_uuid: str) -> str:
    return f"user:{user_uuid.removeprefix('user_')}"


def token_actor(token_uuid: str) -> str:
    return f"token:{token_uuid.removeprefix('apitoken_')}"


def system_actor(component: str) -> str:
    return f"system:{component}"


@dataclass(slots=True)
class _RequestScope:
    request_id: str | None
    actor: str = ANONYMOUS


_REQUEST: ContextVar[_RequestScope | None] = ContextVar("event_request_scope", default=None)
_ACTING_AS: ContextVar[str | None] = ContextVar("event_acting_as", default=None)


def begin_request(request_id: str | None) -> Token[_RequestScope | None]:
    """Open the scope of one HTTP request (anonymous until ``note_actor``)."""
    return _REQUEST.set(_RequestScope(request_id))


def end_request(token: Token[_RequestScope | None]) -> None:
    _REQUEST.reset(token)


def note_actor(actor: str) -> None:
    """The request's caller is now known (no effect outside a request)."""
    scope = _REQUEST.get()
    if scope is not None:
        scope.actor = actor


@contextmanager
def acting_as(actor: str) -> Iterator[None]:
    """Events saved inside this block are this actor's (a worker, a command)."""
    token = _ACTING_AS.set(actor)
    try:
        yield
    finally:
        _ACTING_AS.reset(token)


def _thread_component() -> str:
    name = threading.current_thread().name
    return "main" if name == "MainThread" else name


def current_meta() -> dict[str, Any]:
    explicit = _ACTING_AS.get()
    scope = _REQUEST.get()
    if scope is not None:
        return {"actor": explicit or scope.actor, "request_id": scope.request_id}
    return {"actor": explicit or system_actor(_thread_component()), "request_id": None}


def stamp(events: Iterable[Any]) -> None:
    """Attach the current actor to events about to be saved (an event keeps a stamp it has)."""
    meta: dict[str, Any] | None = None
    for event in events:
        attributes = event.__dict__
        if META_KEY not in attributes:
            meta = meta or current_meta()
            attributes[META_KEY] = meta


def split_meta(state: dict[str, Any]) -> dict[str, Any]:
    """Remove ``_meta`` from a decoded state and return it (empty for older entries)."""
    meta = state.pop(META_KEY, None)
    return meta if isinstance(meta, dict) else {}

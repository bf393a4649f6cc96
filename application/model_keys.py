"""BYOK: a user's own Anthropic key — store (sealed, outside the log), preview, remove,
validate, and the rule that AI routes need one when the ``anthropic`` provider is on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Protocol
from uuid import UUID

import msgspec

from application.language_model import ModelAuthError, ModelError, ModelRateLimited, seed_error
from application.writer import Writer
from domain.errors import InvalidInput, RuleBroken
from domain.model_keys import ModelKey, key_preview, model_key_id

NO_API_KEY = "No API key configured. Please add your Anthropic API key in Settings."
INVALID_KEY = "Invalid API key"
RATE_LIMITED = "Rate limited — key may be valid"

KeyCheck = Callable[[str], Awaitable[None]]


class ApiKeySetRequest(msgspec.Struct, rename="camel"):
    api_key: Annotated[str, msgspec.Meta(max_length=512)]


class ApiKeyResponse(msgspec.Struct, rename="camel"):
    api_key_preview: str


class ValidateKeyResponse(msgspec.Struct):
    valid: bool
    error: str | None = None


class KeyVault(Protocol):
    def put(self, user_uuid: str, api_key: str, preview: str) -> None: ...
    def get(self, user_uuid: str) -> str | None: ...
    def preview(self, user_uuid: str) -> str | None: ...
    def delete(self, user_uuid: str) -> bool: ...


def checked_key(api_key: str) -> str:
    key = api_key.strip()
    if len(key) < 8 or any(ch.isspace() for ch in key):
        raise InvalidInput("apiKey: must be an API key (at least 8 characters, no spaces)",
                           field="apiKey")
    return key


class ModelKeys:
    def __init__(
        self, writer: Writer, vault: KeyVault, check: KeyCheck, *, provider: str,
        server_key: str = "",
    ) -> None:
        self._writer = writer
        self._vault = vault
        self._check = check
        self.provider = provider
        self._server_key = server_key

    def store(self, user_id: UUID, api_key: str) -> None:
        key = checked_key(api_key)
        preview = key_preview(key)
        # Sealed row first: a crash before the event leaves a usable key the log has not
        # heard of yet, never a logged key that does not exist.
        self._vault.put(str(user_id), key, preview)

        def record() -> None:
            known = self._writer.events.get(model_key_id(user_id), ModelKey)
            if known is None:
                known = ModelKey.stored(user_id, preview)
            elif known.preview != preview:
                known.replace(preview)
            self._writer.save(known)

        self._writer.retrying(record)

    def preview(self, user_id: UUID) -> str | None:
        return self._vault.preview(str(user_id))

    def has_key(self, user_id: UUID) -> bool:
        return self._vault.preview(str(user_id)) is not None

    def remove(self, user_id: UUID) -> None:
        """Idempotent."""
        self._vault.delete(str(user_id))

        def record() -> None:
            known = self._writer.events.get(model_key_id(user_id), ModelKey)
            if known is not None and known.preview is not None:
                known.remove()
                self._writer.save(known)

        self._writer.retrying(record)

    def key_for(self, user_id: UUID) -> str | None:
        """The user's own key, else the server-wide one (if the operator configured one)."""
        return self._vault.get(str(user_id)) or self._server_key or None

    def require(self, user_id: UUID) -> str | None:
        """The key AI calls will use; None when the offline provider needs none. Raises the
        seed's 400 when the ``anthropic`` provider is on and no key is available."""
        if self.provider != "anthropic":
            return None
        key = self.key_for(user_id)
        if not key:
            raise RuleBroken(NO_API_KEY, code="NO_API_KEY")
        return key

    async def validate(self, api_key: str) -> ValidateKeyResponse:
        """A real, cheap call with the key; the key is not stored."""
        key = checked_key(api_key)
        try:
            await self._check(key)
        except ModelAuthError:
            return ValidateKeyResponse(False, INVALID_KEY)
        except ModelRateLimited:
            return ValidateKeyResponse(False, RATE_LIMITED)
        except ModelError as exc:
            return ValidateKeyResponse(False, seed_error(exc)[1])
        return ValidateKeyResponse(True, None)

"""The webhook endpoint aggregate: where an org wants its events delivered, and how signed.

Events carry only the AES-GCM ciphertext of the signing secret (never the secret itself), so
the log can be exported or replayed without leaking it. Timestamps that guards need (the end
of a rotation's overlap) are passed in by the application: mutators never read the clock.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.editing import real_changes
from domain.errors import NotFound

ENDPOINT_NOT_FOUND = "Webhook endpoint not found"
UPDATABLE = ("url", "description", "events", "is_active")
ROTATION_OVERLAP_HOURS = 24


def secret_context(org_uuid: str) -> str:
    """Associated data binding a sealed signing secret to its org (ids exist only after the
    creation event, which already carries the ciphertext)."""
    return f"webhook-secret:{org_uuid}"


class WebhookEndpoint(Aggregate):
    class WebhookEndpointCreated(Aggregate.Created):
        org_id: UUID
        url: str
        description: str
        events: list[str]
        secret_ciphertext: str
        created_by: UUID | None

    @event(WebhookEndpointCreated)
    def __init__(
        self,
        org_id: UUID,
        url: str,
        description: str,
        events: list[str],
        secret_ciphertext: str,
        created_by: UUID | None,
    ) -> None:
        self.org_id = org_id
        self.url = url
        self.description = description
        self.events = list(events)
        self.secret_ciphertext = secret_ciphertext
        self.previous_secret_ciphertext = ""
        self.previous_valid_until = ""
        self.created_by = created_by
        self.is_active = True
        self.deleted = False

    class WebhookEndpointUpdated(Aggregate.Event):
        changes: dict[str, Any]

    @event(WebhookEndpointUpdated)
    def _apply_update(self, changes: dict[str, Any]) -> None:
        for key, value in changes.items():
            setattr(self, key, value)

    def update(self, changes: dict[str, Any]) -> None:
        self.ensure_alive()
        real = real_changes(self, changes, UPDATABLE)
        if real:
            self._apply_update(real)

    class WebhookSecretRotated(Aggregate.Event):
        secret_ciphertext: str
        previous_secret_ciphertext: str
        previous_valid_until: str  # ISO-8601 UTC; the old secret signs alongside until then

    @event(WebhookSecretRotated)
    def _rotate(
        self, secret_ciphertext: str, previous_secret_ciphertext: str, previous_valid_until: str
    ) -> None:
        self.secret_ciphertext = secret_ciphertext
        self.previous_secret_ciphertext = previous_secret_ciphertext
        self.previous_valid_until = previous_valid_until

    def rotate_secret(self, new_ciphertext: str, previous_valid_until: str) -> None:
        self.ensure_alive()
        self._rotate(new_ciphertext, self.secret_ciphertext, previous_valid_until)

    class WebhookEndpointDisabled(Aggregate.Event):
        reason: str
        failing_since: str

    @event(WebhookEndpointDisabled)
    def _disable(self, reason: str, failing_since: str) -> None:
        self.is_active = False

    def disable_for_failures(self, reason: str, failing_since: str) -> bool:
        """Returns False when there is nothing to do (already inactive or deleted)."""
        if self.deleted or not self.is_active:
            return False
        self._disable(reason, failing_since)
        return True

    class WebhookPingRequested(Aggregate.Event):
        requested_by: UUID | None

    @event(WebhookPingRequested)
    def _ping(self, requested_by: UUID | None) -> None:
        pass

    def request_ping(self, requested_by: UUID | None) -> None:
        self.ensure_alive()
        self._ping(requested_by)

    class WebhookReplayRequested(Aggregate.Event):
        since: str  # ISO-8601, inclusive
        until: str  # ISO-8601, exclusive; "" = up to the request itself
        events: list[str]  # public names; empty = the endpoint's subscriptions
        requested_by: UUID | None

    @event(WebhookReplayRequested)
    def _replay(
        self, since: str, until: str, events: list[str], requested_by: UUID | None
    ) -> None:
        pass

    def request_replay(
        self, since: str, until: str, events: list[str], requested_by: UUID | None
    ) -> None:
        self.ensure_alive()
        self._replay(since, until, events, requested_by)

    class WebhookEndpointDeleted(Aggregate.Event):
        pass

    @event(WebhookEndpointDeleted)
    def _delete(self) -> None:
        self.deleted = True
        self.is_active = False

    def delete(self) -> None:
        self.ensure_alive()
        self._delete()

    def ensure_alive(self) -> None:
        if self.deleted:
            raise NotFound(ENDPOINT_NOT_FOUND)

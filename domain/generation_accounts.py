"""An organisation's generation account: its plan, the secret that signs its callbacks, and
whether it brought its own Anthropic key.

One aggregate per org (deterministic id). The callback signing secret travels in events only
as AES-GCM ciphertext, like webhook secrets; the previous one keeps signing for a day after a
rotation so receivers can switch without losing a callback. The org's model key never enters
the log: it is sealed in a table outside it, and the log records only its masked preview.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

_ACCOUNTS = UUID("5a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b")


def account_id(org_id: UUID) -> UUID:
    return uuid5(_ACCOUNTS, str(org_id))


class GenerationAccount(Aggregate):
    class GenerationAccountOpened(Aggregate.Created):
        org_id: UUID

    @event(GenerationAccountOpened)
    def __init__(self, org_id: UUID) -> None:
        self.org_id = org_id
        self.plan = ""
        self.callback_secret = ""
        self.previous_callback_secret = ""
        self.previous_valid_until = ""
        self.model_key_preview = ""

    @classmethod
    def create_id(cls, org_id: UUID) -> UUID:
        return account_id(org_id)

    class GenerationPlanChanged(Aggregate.Event):
        org_id: UUID
        plan: str
        changed_by: str

    @event(GenerationPlanChanged)
    def _change_plan(self, org_id: UUID, plan: str, changed_by: str) -> None:
        self.plan = plan

    def change_plan(self, plan: str, changed_by: str) -> None:
        if plan != self.plan:
            self._change_plan(self.org_id, plan, changed_by)

    class CallbackSecretRotated(Aggregate.Event):
        org_id: UUID
        secret_ciphertext: str
        previous_secret_ciphertext: str
        previous_valid_until: str  # ISO-8601 UTC; empty on the first secret

    @event(CallbackSecretRotated)
    def _rotate(
        self, org_id: UUID, secret_ciphertext: str, previous_secret_ciphertext: str,
        previous_valid_until: str,
    ) -> None:
        self.callback_secret = secret_ciphertext
        self.previous_callback_secret = previous_secret_ciphertext
        self.previous_valid_until = previous_valid_until

    def rotate_callback_secret(self, sealed: str, previous_valid_until: str) -> None:
        """``previous_valid_until`` is passed in: mutators never read the clock."""
        previous = self.callback_secret
        self._rotate(self.org_id, sealed, previous, previous_valid_until if previous else "")

    class OrgModelKeySet(Aggregate.Event):
        org_id: UUID
        preview: str

    @event(OrgModelKeySet)
    def _set_model_key(self, org_id: UUID, preview: str) -> None:
        self.model_key_preview = preview

    def set_model_key(self, preview: str) -> None:
        self._set_model_key(self.org_id, preview)

    class OrgModelKeyRemoved(Aggregate.Event):
        org_id: UUID

    @event(OrgModelKeyRemoved)
    def _remove_model_key(self, org_id: UUID) -> None:
        self.model_key_preview = ""

    def remove_model_key(self) -> bool:
        if not self.model_key_preview:
            return False
        self._remove_model_key(self.org_id)
        return True

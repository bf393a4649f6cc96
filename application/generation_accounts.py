"""Generation accounts: an org's plan and credits, the secret that signs its callbacks, and
its own Anthropic key (sealed outside the log; the server-wide key is used without one).

Plans and their monthly credits are settings. An org without a plan of its own is on the
default plan; org ``default`` (the instance's first org) on its own default, which includes
generation. Plans are billing, so only the instance's operators (admins of org ``default``)
change them; an org's own admins read its account and manage its callback secret.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate

from application.authorization import Authorization, Principal
from application.model_keys import KeyVault, checked_key
from application.organizations import Organizations
from application.webhooks import new_secret
from application.writer import Writer
from domain.errors import InvalidInput
from domain.generation_accounts import GenerationAccount, account_id
from domain.generation_credits import Plan, month_of
from domain.model_keys import key_preview
from domain.webhooks import ROTATION_OVERLAP_HOURS, secret_context
from projections.queries.generation_jobs import GenerationJobQueries

DEFAULT_ORG_SLUG = "default"
JOBS = ("generation_jobs",)


class Sealer(Protocol):
    def seal(self, plaintext: str, context: str) -> str: ...
    def open(self, ciphertext: str, context: str) -> str: ...


class PlanChange(msgspec.Struct, kw_only=True):
    plan: str


class AccountView(msgspec.Struct, kw_only=True):
    org_slug: str
    plan: str
    includes_generation: bool
    monthly_credits: int
    month: str
    credits_used: int
    credits_left: int
    plans: dict[str, int]
    #: the org's own Anthropic key, masked (None: jobs use the server-wide key)
    anthropic_key_preview: str | None


class OrgModelKey(msgspec.Struct, rename="camel"):
    api_key: str


class OrgModelKeyView(msgspec.Struct, rename="camel"):
    api_key_preview: str


class CallbackSecretView(msgspec.Struct, kw_only=True):
    """The secret callbacks are signed with (Standard Webhooks, ``whsec_…``); after a rotation
    the previous one signs too until ``previous_valid_until``."""

    secret: str
    previous_valid_until: str | None


class GenerationAccounts:
    def __init__(
        self,
        writer: Writer,
        queries: GenerationJobQueries,
        authz: Authorization,
        orgs: Organizations,
        sealer: Sealer,
        vault: KeyVault,
        *,
        plans: dict[str, Plan],
        default_plan: str,
        default_org_plan: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        for name in (default_plan, default_org_plan):
            if name not in plans:
                raise ValueError(f"default plan {name!r} is not one of the plans {sorted(plans)}")
        self._writer = writer
        self._q = queries
        self._authz = authz
        self._orgs = orgs
        self._sealer = sealer
        self._vault = vault
        self.plans = plans
        self._default_plan = default_plan
        self._default_org_plan = default_org_plan
        self._clock = clock

    def plan_of(self, org_uuid: str) -> Plan:
        row = self._q.account(org_uuid)
        chosen = row["plan"] if row is not None and row["plan"] in self.plans else None
        if chosen is None:
            is_default = self._orgs.get(org_uuid).slug == DEFAULT_ORG_SLUG
            chosen = self._default_org_plan if is_default else self._default_plan
        return self.plans[chosen]

    # -- the account ----------------------------------------------------------------------
    def account(self, principal: Principal, org_slug: str) -> AccountView:
        org_uuid = self._orgs.org_uuid_by_slug(org_slug)
        if not self._is_operator(principal):
            self._require_admin(principal, org_uuid)
        plan = self.plan_of(org_uuid)
        month = month_of(datetime.fromtimestamp(self._clock(), UTC))
        # Jobs are answered before the jobs read model has them (``Generation.submit``).
        self._writer.caught_up(JOBS)
        used, returned = self._q.usage(org_uuid, month)
        charged = used - returned
        return AccountView(
            org_slug=org_slug, plan=plan.name, includes_generation=plan.includes_generation,
            monthly_credits=plan.monthly_credits, month=month, credits_used=charged,
            credits_left=max(0, plan.monthly_credits - charged),
            plans={name: p.monthly_credits for name, p in self.plans.items()},
            anthropic_key_preview=self._vault.preview(key_subject(org_uuid)),
        )

    def set_plan(self, principal: Principal, org_slug: str, change: PlanChange) -> AccountView:
        self._authz.require_user(principal)
        self._authz.require(principal, self._operator_org(), "organizations", "update")
        if change.plan not in self.plans:
            raise InvalidInput(
                f"plan: must be one of {', '.join(self.plans)}", field="plan"
            )
        org_uuid = self._orgs.org_uuid_by_slug(org_slug)
        by = f"user_{principal.user_id}"

        def apply() -> None:
            account = self._load(org_uuid)
            account.change_plan(change.plan, by)
            self._writer.save(account, read_models=JOBS)

        self._writer.retrying(apply)
        return self.account(principal, org_slug)

    # -- the org's own model key ---------------------------------------------------------
    def model_key(self, org_id: UUID) -> str | None:
        """The org's Anthropic key in the clear, for its jobs' model calls only."""
        return self._vault.get(key_subject(str(org_id)))

    def set_model_key(self, principal: Principal, org_slug: str, body: OrgModelKey) -> OrgModelKeyView:
        org_uuid = self._orgs.org_uuid_by_slug(org_slug)
        self._require_admin(principal, org_uuid)
        key = checked_key(body.api_key)
        preview = key_preview(key)
        self._vault.put(key_subject(org_uuid), key, preview)

        def apply() -> None:
            account = self._load(org_uuid)
            account.set_model_key(preview)
            self._writer.save(account, read_models=JOBS)

        self._writer.retrying(apply)
        return OrgModelKeyView(api_key_preview=preview)

    def remove_model_key(self, principal: Principal, org_slug: str) -> None:
        org_uuid = self._orgs.org_uuid_by_slug(org_slug)
        self._require_admin(principal, org_uuid)
        self._vault.delete(key_subject(org_uuid))  # gone for good, whatever the log says

        def apply() -> None:
            account = self._load(org_uuid)
            if account.remove_model_key():
                self._writer.save(account, read_models=JOBS)

        self._writer.retrying(apply)

    # -- callback secret ------------------------------------------------------------------
    def callback_secret(self, principal: Principal, org_slug: str) -> CallbackSecretView:
        """The org's callback signing secret, made on first use."""
        org_uuid = self._orgs.org_uuid_by_slug(org_slug)
        self._require_admin(principal, org_uuid)
        self._writer.caught_up(JOBS)  # a job just queued with a callback may have made the secret
        row = self._q.account(org_uuid)
        if row is None or not row["callback_secret"]:
            return self.rotate_callback_secret(principal, org_slug)
        return self._secret_view(org_uuid, row["callback_secret"], row["previous_valid_until"])

    def rotate_callback_secret(self, principal: Principal, org_slug: str) -> CallbackSecretView:
        org_uuid = self._orgs.org_uuid_by_slug(org_slug)
        self._require_admin(principal, org_uuid)
        now = datetime.fromtimestamp(self._clock(), UTC)
        until = (now + timedelta(hours=ROTATION_OVERLAP_HOURS)).isoformat()
        holder: list[GenerationAccount] = []

        def apply() -> None:
            account = self._load(org_uuid)
            account.rotate_callback_secret(
                self._sealer.seal(new_secret(), secret_context(org_uuid)), until.replace("+00:00", "Z")
            )
            self._writer.save(account, read_models=JOBS)
            holder[:] = [account]

        self._writer.retrying(apply)
        account = holder[0]
        return self._secret_view(org_uuid, account.callback_secret, account.previous_valid_until)

    def ensure_callback_secret(self, org_uuid: str) -> list[Aggregate]:
        """What to append before the org's first job with a callback: a secret to sign it."""
        row = self._q.account(org_uuid)
        if row is not None and row["callback_secret"]:
            return []
        account = self._load(org_uuid)
        if account.callback_secret:
            return []
        account.rotate_callback_secret(self._sealer.seal(new_secret(), secret_context(org_uuid)), "")
        return [account]

    def _secret_view(self, org_uuid: str, sealed: str, previous_until: str) -> CallbackSecretView:
        return CallbackSecretView(
            secret=self._sealer.open(sealed, secret_context(org_uuid)),
            previous_valid_until=previous_until or None,
        )

    # -- helpers --------------------------------------------------------------------------
    def _load(self, org_uuid: str) -> GenerationAccount:
        found = self._writer.events.get(account_id(UUID(org_uuid)), GenerationAccount)
        return found if found is not None else GenerationAccount(org_id=UUID(org_uuid))

    def _operator_org(self) -> str:
        return self._orgs.org_uuid_by_slug(DEFAULT_ORG_SLUG)

    def _is_operator(self, principal: Principal) -> bool:
        if principal.token is not None or principal.user_id is None:
            return False
        return self._authz.can(principal, self._operator_org(), "organizations", "update")

    def _require_admin(self, principal: Principal, org_uuid: str) -> None:
        self._authz.require_user(principal)
        self._authz.require(principal, org_uuid, "organizations", "update")


def key_subject(org_uuid: str) -> str:
    """The org's entry in the sealed key table (shared with users' keys, bound to its subject)."""
    return f"org_{org_uuid}"

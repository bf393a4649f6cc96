"""Generation credits: plans with a monthly allowance, and one claim per credit used.

Credit ``n`` of an org's month is an aggregate with a deterministic id, created in the same
append as the job that uses it: two requests racing for the last credit collide on that
aggregate's first version, so an org never gets more jobs than its plan allows, without a
per-org counter that every request would have to load.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import Forbidden

_CREDITS = UUID("8d3f0a52-7c1e-4b9a-a6f2-2e5d4c3b1a09")

PAID_PLAN_REQUIRED = "PAID_PLAN_REQUIRED"
USAGE_LIMIT_EXCEEDED_PLAN = "USAGE_LIMIT_EXCEEDED_PLAN"


def credit_id(org_id: UUID, month: str, slot: int) -> UUID:
    return uuid5(_CREDITS, f"{org_id}:{month}:{slot}")


def month_of(moment: datetime) -> str:
    """Credits renew on the first day of each calendar month (UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m")


@dataclass(frozen=True)
class Plan:
    name: str
    monthly_credits: int

    @property
    def includes_generation(self) -> bool:
        return self.monthly_credits > 0


def parse_plans(text: str) -> dict[str, Plan]:
    """``"free:0,starter:50,pro:500"`` → plans by name (``ValueError`` on a malformed entry)."""
    plans: dict[str, Plan] = {}
    for entry in text.split(","):
        name, sep, credits = entry.strip().partition(":")
        name = name.strip()
        if not name or not sep or not credits.strip().isdigit():
            raise ValueError(f"plan {entry.strip()!r} is not NAME:MONTHLY_CREDITS")
        plans[name] = Plan(name, int(credits))
    return plans


def require_credit(plan: Plan, used: int) -> None:
    """Refuse before anything is queued: a plan without generation, or a month used up."""
    if not plan.includes_generation:
        raise Forbidden(
            f"Course generation is not included in the {plan.name} plan. "
            "Upgrade to a paid plan to generate courses.",
            code=PAID_PLAN_REQUIRED,
        )
    if used >= plan.monthly_credits:
        raise Forbidden(
            f"This month's {plan.monthly_credits} course generations of the {plan.name} plan "
            "are used up.",
            code=USAGE_LIMIT_EXCEEDED_PLAN,
        )


class CreditSlot(Aggregate):
    class CreditUsed(Aggregate.Created):
        org_id: UUID
        month: str
        slot: int
        job_id: UUID

    @event(CreditUsed)
    def __init__(self, org_id: UUID, month: str, slot: int, job_id: UUID) -> None:
        self.org_id = org_id
        self.month = month
        self.slot = slot
        self.job_id = job_id
        self.returned = False

    @classmethod
    def create_id(cls, org_id: UUID, month: str, slot: int, job_id: UUID) -> UUID:
        return credit_id(org_id, month, slot)

    class CreditReturned(Aggregate.Event):
        org_id: UUID
        month: str
        reason: str

    @event(CreditReturned)
    def _return(self, org_id: UUID, month: str, reason: str) -> None:
        self.returned = True

    def give_back(self, reason: str) -> None:
        """A job that failed or was cancelled costs nothing (once)."""
        if not self.returned:
            self._return(self.org_id, self.month, reason)

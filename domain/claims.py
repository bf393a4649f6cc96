"""Uniqueness claims (an email, an org slug): the event store's optimistic concurrency makes
two racing claims of one value collide, so uniqueness holds without a read-model check."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ids import claim_id


class UniqueClaim(Aggregate):
    class ClaimMade(Aggregate.Created):
        kind: str
        value: str
        owner_id: UUID

    @event(ClaimMade)
    def __init__(self, kind: str, value: str, owner_id: UUID) -> None:
        self.kind = kind
        self.value = value
        self.owner_id: UUID | None = owner_id

    @classmethod
    def create_id(cls, kind: str, value: str, owner_id: UUID) -> UUID:
        return claim_id(kind, value)

    @property
    def held(self) -> bool:
        return self.owner_id is not None

    class ClaimRetaken(Aggregate.Event):
        owner_id: UUID

    @event(ClaimRetaken)
    def retake(self, owner_id: UUID) -> None:
        self.owner_id = owner_id

    class ClaimReleased(Aggregate.Event):
        pass

    @event(ClaimReleased)
    def release(self) -> None:
        self.owner_id = None

"""The webhook catalogue: every public event is published by something, and nothing else is."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from application.webhook_catalogue import EVENT_TYPES, bindings
from application.webhook_schemas import subscribable
from domain.memberships import Membership

# Events about the webhook machinery itself, exempt from needing a domain binding (``ping`` is
# queued directly by the publisher).
NOT_BOUND = {"ping", "webhook_endpoint_disabled"}


def test_every_public_event_has_a_binding() -> None:
    bound = {b.name for b in bindings()}
    missing = sorted(set(EVENT_TYPES) - NOT_BOUND - bound)
    assert missing == []


def test_every_binding_names_a_catalogued_event() -> None:
    unknown = sorted({b.name for b in bindings()} - set(EVENT_TYPES))
    assert unknown == []


def test_bindings_are_real_classes_and_subscribable() -> None:
    for binding in bindings():
        assert isinstance(binding.cls, type), binding
        assert binding.name in subscribable(), binding.name


def test_ping_is_the_only_unsubscribable_event() -> None:
    assert sorted(set(EVENT_TYPES) - set(subscribable())) == ["ping"]


class _Lookups:
    """The publisher's lookups for one org and one member (pure, no store)."""

    def __init__(self, org_uuid: str, user_uuid: str) -> None:
        self.org_uuid, self.user_uuid = org_uuid, user_uuid

    def org_id(self, org_uuid: str) -> int | None:
        return 1

    def user(self, user_uuid: str) -> dict[str, Any] | None:
        return {"email": "kim@example.com", "username": "kim"} if user_uuid == self.user_uuid else None

    def entity(self, entity_uuid: str) -> dict[str, Any] | None:
        return None

    def membership(self, membership_id: str) -> tuple[str, str] | None:
        return self.org_uuid, self.user_uuid


def test_a_member_who_rejoins_is_published_as_signed_up_again() -> None:
    org, user = uuid4(), uuid4()
    membership = Membership(org_id=org, user_id=user, role_uuid="role_user")
    membership.remove()
    membership.rejoin("role_user")
    lookups = _Lookups(str(org), str(user))
    by_cls = {b.cls: b for b in bindings()}
    published = [
        (by_cls[type(e)].name, by_cls[type(e)].build(lookups, e)) for e in membership.collect_events()
    ]
    expected_user = {"user_uuid": f"user_{user}", "email": "kim@example.com", "username": "kim"}
    assert [(name, p.org_uuid if p else None) for name, p in published] == [
        ("user_signed_up", str(org)), ("user_removed_from_org", str(org)), ("user_signed_up", str(org)),
    ]
    assert published[-1][1] is not None
    assert published[-1][1].data == {"user": expected_user, "role_uuid": "role_user"}

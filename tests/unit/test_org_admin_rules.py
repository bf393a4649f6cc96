"""Domain rules behind the org administration routes: custom roles, signup modes, invite codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.errors import Forbidden, Gone, InvalidInput, NotFound
from domain.invites import InviteCode
from domain.orgs import Org
from domain.rights import builtin_rights
from domain.roles import Role

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def _role() -> Role:
    return Role(org_id=uuid4(), name="Reviewer", description="", rights=builtin_rights("role_global_user") or {})


def test_a_role_update_names_its_org_and_a_no_op_records_nothing() -> None:
    role = _role()
    role.collect_events()
    role.update(role.name, role.description, role.rights)
    assert role.collect_events() == []
    role.update("Senior reviewer", "reads everything", role.rights)
    [updated] = role.collect_events()
    assert isinstance(updated, Role.RoleUpdated)
    assert (updated.org_id, updated.name, role.name) == (role.org_id, "Senior reviewer", "Senior reviewer")


def test_a_deleted_role_can_be_neither_updated_nor_deleted_again() -> None:
    role = _role()
    role.delete()
    assert role.deleted and isinstance(role.collect_events()[-1], Role.RoleDeleted)
    with pytest.raises(NotFound):
        role.update("Other", "", role.rights)
    with pytest.raises(NotFound):
        role.delete()


def test_orgs_are_open_until_made_invite_only() -> None:
    org = Org(name="A", slug="a", description="", email="", creator_id=None)
    assert org.signup_mode == "open"
    org.change_signup_mode("open")
    assert org.version == 1
    org.change_signup_mode("inviteOnly")
    assert (org.signup_mode, org.version) == ("inviteOnly", 2)
    with pytest.raises(InvalidInput):
        org.change_signup_mode("closed")
    org.delete()
    with pytest.raises(Gone):
        org.change_signup_mode("open")


def _code(max_uses: int | None = None, expires_at: datetime | None = None) -> InviteCode:
    return InviteCode(
        org_id=uuid4(), code_digest="d", sealed_code="s", max_uses=max_uses,
        expires_at=expires_at.isoformat() if expires_at else None, created_by=uuid4(),
    )


def test_an_invite_code_counts_uses_up_to_its_limit() -> None:
    code = _code(max_uses=2)
    code.redeem(uuid4(), NOW)
    code.redeem(uuid4(), NOW)
    assert code.uses == 2 and code.used_up()
    with pytest.raises(Forbidden) as refused:
        code.redeem(uuid4(), NOW)
    assert refused.value.code == "INVITE_USED_UP"


def test_an_invite_code_expires_and_a_deleted_one_is_incorrect() -> None:
    code = _code(expires_at=NOW + timedelta(days=1))
    code.redeem(uuid4(), NOW)
    with pytest.raises(Forbidden) as expired:
        code.redeem(uuid4(), NOW + timedelta(days=1))
    assert expired.value.code == "INVITE_EXPIRED"
    unlimited = _code()
    unlimited.delete()
    with pytest.raises(Forbidden) as deleted:
        unlimited.redeem(uuid4(), NOW)
    assert (deleted.value.code, deleted.value.detail) == ("INVITE_INVALID", "Invite code is incorrect")
    with pytest.raises(NotFound):
        unlimited.delete()



def test_role_and_signup_mode_events_are_published_to_their_own_org() -> None:
    from application.webhook_catalogue import EVENT_TYPES, bindings

    by_cls = {b.cls: b for b in bindings()}
    role = _role()
    role.update("Senior reviewer", "", role.rights)
    role.delete()
    org = Org(name="A", slug="a", description="", email="", creator_id=None)
    org.change_signup_mode("inviteOnly")
    events = [e for e in role.collect_events() + org.collect_events() if type(e) in by_cls]
    published = [(by_cls[type(e)].name, by_cls[type(e)].build(None, e)) for e in events]  # type: ignore[arg-type]
    role_data = {"role": {"role_uuid": f"role_{role.id}", "name": "Senior reviewer"}}
    assert [(name, p.org_uuid, p.data) for name, p in published if p] == [
        ("role_updated", str(role.org_id), role_data),
        ("role_deleted", str(role.org_id), role_data),
        ("org_signup_method_changed", str(org.id), {"signup_mechanism": "inviteOnly"}),
    ]
    assert {"role_updated", "role_deleted", "org_signup_method_changed"} <= set(EVENT_TYPES)

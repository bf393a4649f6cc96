"""People signing up at the same moment with an invite code limited to 2 uses: exactly two get in."""

from __future__ import annotations

import threading
from typing import Any

from application.accounts import NewAccount
from domain.errors import DomainError


def test_a_limited_code_admits_exactly_its_uses_under_concurrent_signups(container: Any) -> None:
    org_uuid = container.orgs.org_uuid_by_slug("default")
    admin_view = container.accounts.user_view(container.identity.user_by_email("admin@example.com")["user_uuid"])
    admin = container.accounts.principal_for(container.accounts.start_session(admin_view).access_token)
    container.invites.set_signup_mode(admin, org_uuid, "inviteOnly")
    code = container.invites.create_code(admin, org_uuid, max_uses=2).invite_code

    racers = 5
    outcomes: list[Any] = [None] * racers
    start = threading.Barrier(racers)

    def sign_up(n: int) -> None:
        account = NewAccount(email=f"racer{n}@example.com", username=f"racer{n}", password="password-123")
        start.wait()
        try:
            container.signups.sign_up_with_invite(org_uuid, code, account)
            outcomes[n] = "in"
        except DomainError as error:
            outcomes[n] = error.code

    threads = [threading.Thread(target=sign_up, args=(n,)) for n in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert outcomes.count("in") == 2, outcomes
    assert set(outcomes) - {"in"} <= {"INVITE_USED_UP"}, outcomes
    members = container.identity.members(org_uuid, 1, 100).items
    assert sum(m.user.email.startswith("racer") for m in members) == 2
    [row] = container.invites.list_codes(admin, org_uuid)
    assert row.uses == 2

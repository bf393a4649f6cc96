"""Two admins demoting each other at the same moment: one wins, the org keeps an admin."""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID

from application.accounts import NewAccount
from domain.errors import DomainError
from domain.rights import ADMIN_ROLE, USER_ROLE


def test_concurrent_demotions_never_leave_an_org_without_admin(container: Any) -> None:
    orgs, accounts = container.orgs, container.accounts
    org_uuid = orgs.org_uuid_by_slug("default")
    admins = []
    for n in range(2):
        view = accounts.register(NewAccount(email=f"boss{n}@example.com", password="password-123"))
        user_id = UUID(view.user_uuid.removeprefix("user_"))
        orgs.join(org_uuid, user_id, ADMIN_ROLE)
        admins.append((user_id, view))
    # The bootstrap admin steps down first, so exactly the two racers remain admins.
    bootstrap = container.identity.user_by_email("admin@example.com")
    first = accounts.principal_for(accounts.start_session(admins[0][1]).access_token)
    orgs.change_role(first, org_uuid, bootstrap["user_uuid"], USER_ROLE)

    principals = [accounts.principal_for(accounts.start_session(v).access_token) for _, v in admins]
    outcomes: list[Any] = [None, None]
    start = threading.Barrier(2)

    def demote(me: int) -> None:
        other = admins[1 - me][0]
        start.wait()
        try:
            orgs.change_role(principals[me], org_uuid, str(other), USER_ROLE)
            outcomes[me] = "ok"
        except DomainError as error:
            outcomes[me] = error

    threads = [threading.Thread(target=demote, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert outcomes.count("ok") == 1, outcomes
    assert container.identity.admin_count(org_uuid) == 1

"""Login throttling through a real HTTP server, with clients on different loopback addresses
(127.0.0.x): wrong passwords from one address lock that address out of the account, never
the account's owner elsewhere. SQLite and PostgreSQL; in-process and Redis throttles."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, REDIS_URL, require_service
from tests.integration.threaded_server import served

MAX_FAILURES = 3  # per (account, address); an address locks at 4 x, slow answers from 2 x
LH_LOGIN = "/api/v1/auth/login"
OL_LOGIN = "/api/auth/login"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def throttle_env(request: pytest.FixtureRequest) -> dict[str, str]:
    if request.param == "redis":
        require_service("Redis", "127.0.0.1", 6379)
        return {"LEARNSTREAM_REDIS_URL": REDIS_URL, "LEARNSTREAM_REDIS_PREFIX": f"lstest:{uuid.uuid4().hex}:"}
    return {}


@pytest.fixture
def base_url(settings_env: dict[str, str], throttle_env: dict[str, str]) -> Iterator[str]:
    """The app served by uvicorn, configured as ``learnstream serve`` runs it, in a thread."""
    yield from served({**settings_env, **throttle_env, "LEARNSTREAM_LOGIN_MAX_FAILURES": str(MAX_FAILURES)})


def client_at(base_url: str, address: str) -> httpx.Client:
    """A client whose connections come from ``address`` (any 127.x.y.z is loopback)."""
    return httpx.Client(
        base_url=base_url, timeout=30, transport=httpx.HTTPTransport(local_address=address)
    )


def lh_login(client: httpx.Client, password: str, email: str = ADMIN_EMAIL) -> httpx.Response:
    return client.post(LH_LOGIN, data={"username": email, "password": password})


def ol_login(client: httpx.Client, password: str, email: str = ADMIN_EMAIL) -> httpx.Response:
    return client.post(OL_LOGIN, json={"email": email, "password": password})


def assert_locked(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["code"] == "TOO_MANY_ATTEMPTS"
    assert int(response.headers["Retry-After"]) > 0


def test_failures_from_one_address_do_not_lock_the_owner_out(base_url: str):
    with client_at(base_url, "127.0.0.2") as attacker, client_at(base_url, "127.0.0.3") as owner:
        assert [lh_login(attacker, f"wrong-{n}").status_code for n in range(MAX_FAILURES)] == [401] * MAX_FAILURES
        # That address is locked out of this account, even with the right password, on both
        # login routes, and a forwarded-for header does not make it someone else.
        assert_locked(lh_login(attacker, ADMIN_PASSWORD))
        assert_locked(ol_login(attacker, ADMIN_PASSWORD))
        assert_locked(attacker.post(
            LH_LOGIN, data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
            headers={"X-Forwarded-For": "127.0.0.3"},
        ))
        # The owner, signing in from elsewhere, is not.
        assert lh_login(owner, ADMIN_PASSWORD).status_code == 200
        assert ol_login(owner, ADMIN_PASSWORD).status_code == 200


def test_many_addresses_failing_never_lock_the_account(base_url: str):
    attackers = [f"127.0.1.{n}" for n in range(1, 4)]
    last_failure = 0.0
    for address in attackers:
        with client_at(base_url, address) as attacker:
            for n in range(MAX_FAILURES):
                started = time.monotonic()
                wrong = ol_login(attacker, f"wrong-{n}")
                last_failure = time.monotonic() - started
                assert wrong.status_code == 401
                assert wrong.json()["detail"] == "Invalid email or password"
            assert_locked(ol_login(attacker, ADMIN_PASSWORD))
    # Nine failures from three addresses: failed answers are now held back a little...
    assert last_failure >= 0.3
    # ...but the right password from an address that has not failed goes straight through.
    with client_at(base_url, "127.0.2.1") as owner:
        assert ol_login(owner, ADMIN_PASSWORD).status_code == 200
        assert lh_login(owner, ADMIN_PASSWORD).status_code == 200


def test_an_address_failing_across_accounts_is_locked_out_of_all(base_url: str):
    with client_at(base_url, "127.0.3.1") as sprayer, client_at(base_url, "127.0.3.2") as owner:
        statuses = [
            lh_login(sprayer, "password-123", f"user{n}@example.com").status_code
            for n in range(MAX_FAILURES * 4)
        ]
        assert statuses == [401] * (MAX_FAILURES * 4)
        assert_locked(lh_login(sprayer, ADMIN_PASSWORD))
        assert_locked(ol_login(sprayer, "password-123", "someone-else@example.com"))
        assert lh_login(owner, ADMIN_PASSWORD).status_code == 200


def test_a_success_clears_the_pair(base_url: str):
    with client_at(base_url, "127.0.4.1") as owner:
        for _ in range(3):
            for n in range(MAX_FAILURES - 1):
                assert lh_login(owner, f"typo-{n}").status_code == 401
            assert lh_login(owner, ADMIN_PASSWORD).status_code == 200


def test_the_async_sign_in_follows_the_same_rule(container: Any):
    from application.accounts import Accounts
    from domain.errors import Locked, Unauthenticated

    accounts: Accounts = container.accounts
    limit = container.settings.login_max_failures

    async def attempts() -> None:
        for n in range(limit):
            with pytest.raises(Unauthenticated):
                await accounts.authenticate_async(ADMIN_EMAIL, f"wrong-{n}", "198.51.100.7")
        with pytest.raises(Locked):
            await accounts.authenticate_async(ADMIN_EMAIL, ADMIN_PASSWORD, "198.51.100.7")
        user = await accounts.authenticate_async(ADMIN_EMAIL, ADMIN_PASSWORD, "203.0.113.9")
        assert user.email == ADMIN_EMAIL

    asyncio.run(attempts())

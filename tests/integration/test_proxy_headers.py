"""Whose address a request has, as ``learnstream serve`` configures uvicorn: the connection's
peer unless LEARNSTREAM_TRUSTED_PROXIES names the peer as a proxy. A client that writes its own
X-Forwarded-For must not become someone else to the login throttle (SQLite, in-process
throttle, a real HTTP server)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.integration.threaded_server import served

MAX_FAILURES = 3
LOGIN = "/api/v1/auth/login"


def serve(env: dict[str, str]) -> Iterator[str]:
    yield from served({**env, "LEARNSTREAM_LOGIN_MAX_FAILURES": str(MAX_FAILURES)})


@pytest.fixture
def untrusting(settings_env: dict[str, str]) -> Iterator[str]:
    yield from serve(settings_env)


@pytest.fixture
def behind_a_proxy(settings_env: dict[str, str]) -> Iterator[str]:
    yield from serve({**settings_env, "LEARNSTREAM_TRUSTED_PROXIES": "127.0.0.1"})


def login(client: httpx.Client, password: str, forwarded_for: str) -> httpx.Response:
    return client.post(
        LOGIN, data={"username": ADMIN_EMAIL, "password": password},
        headers={"X-Forwarded-For": forwarded_for},
    )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_client_naming_other_addresses_is_still_one_address(untrusting: str) -> None:
    with httpx.Client(base_url=untrusting, timeout=30) as client:
        for n in range(MAX_FAILURES):
            assert login(client, f"wrong-{n}", f"198.51.100.{n + 1}").status_code == 401
        locked = login(client, ADMIN_PASSWORD, "198.51.100.200")
        assert locked.status_code == 429, locked.text
        assert locked.json()["code"] == "TOO_MANY_ATTEMPTS"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_trusted_proxy_names_the_client(behind_a_proxy: str) -> None:
    with httpx.Client(base_url=behind_a_proxy, timeout=30) as proxy:
        for n in range(MAX_FAILURES):
            assert login(proxy, f"wrong-{n}", "198.51.100.1").status_code == 401
        assert login(proxy, ADMIN_PASSWORD, "198.51.100.1").status_code == 429
        # Another client behind the same proxy signs in.
        assert login(proxy, ADMIN_PASSWORD, "198.51.100.2").status_code == 200

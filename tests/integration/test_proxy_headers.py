"""Whose address a request has, as ``learnstream serve`` configures uvicorn: the connection's
peer unless LEARNSTREAM_TRUSTED_PROXIES names the peer as a proxy. A client that writes its own
X-Forwarded-For must not become someone else to the login throttle (SQLite, in-process
throttle, a real HTTP server)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, free_port

MAX_FAILURES = 3
LOGIN = "/api/v1/auth/login"


def serve(env: dict[str, str]) -> Iterator[str]:
    import uvicorn

    from api.app import create_app
    from api.bootstrap import Container
    from api.cli import server_config
    from infrastructure.settings import Settings

    settings = Settings.from_env({**env, "LEARNSTREAM_LOGIN_MAX_FAILURES": str(MAX_FAILURES)})
    container = Container.build(settings)
    container.start_followers()
    container.bootstrap()
    port = free_port()
    server = uvicorn.Server(
        server_config(create_app(container, run_followers=False), "127.0.0.1", port, settings)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        container.close()


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

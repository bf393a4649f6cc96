"""The SSRF guard refuses internal targets unless allowed. Only refusals are checked: no test
ever connects to an address outside loopback."""

from __future__ import annotations

from typing import Any

import pytest

from domain.errors import RuleBroken
from infrastructure.ssrf_guard import check_url, is_public

REFUSED = [
    "http://127.0.0.1/hook",
    "http://10.0.0.1/hook",
    "http://[::1]/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://localhost:8080/hook",  # a name resolving to a private address
    "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
    "http://[fe80::1]/hook",
    "http://192.168.1.10/hook",
    "http://100.64.0.1/hook",
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://[fc00::1]/hook",
]


@pytest.mark.parametrize("url", REFUSED)
def test_internal_targets_are_refused(url: str) -> None:
    with pytest.raises(RuleBroken) as refused:
        check_url(url, allow_private=False)
    assert refused.value.detail == "Webhook URL must not point to a private or internal address."


@pytest.mark.parametrize("url", REFUSED)
def test_the_setting_allows_them(url: str) -> None:
    assert check_url(url, allow_private=True) == url


def test_public_literals_pass_without_connecting() -> None:
    import ipaddress

    assert is_public(ipaddress.ip_address("93.184.216.34"))
    assert not is_public(ipaddress.ip_address("::ffff:10.0.0.1"))


@pytest.mark.parametrize("url,detail", [
    ("ftp://example.com/x", "Webhook URL must use https:// (or http:// for local testing)."),
    ("http:///nohost", "Webhook URL has no valid hostname."),
])
def test_bad_urls(url: str, detail: str) -> None:
    with pytest.raises(RuleBroken) as refused:
        check_url(url, allow_private=False)
    assert refused.value.detail == detail


def test_api_refuses_private_urls_by_default(api: Any) -> None:
    admin = api.admin()
    for url in ("http://127.0.0.1:9/hook", "http://localhost/hook", "http://[::1]/hook"):
        response = api.client.post(
            "/api/v1/orgs/1/webhooks/", json={"url": url, "events": ["course_created"]}, headers=admin
        )
        assert response.status_code == 400, response.text
        assert response.json()["detail"] == "Webhook URL must not point to a private or internal address."


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_the_sender_refuses_internal_targets_at_connection_time(host: str) -> None:
    """An endpoint whose name resolves to an internal address by the time it is called (DNS
    rebinding) is refused when the connection is made, not only at registration."""
    import asyncio

    from infrastructure.webhooks.sender import WebhookSender
    from tests.integration.webhook_receiver import Receiver

    receiver = Receiver()
    try:
        url = receiver.url.replace("127.0.0.1", host)

        async def send() -> Any:
            sender = WebhookSender(timeout=5, allow_private=False)
            try:
                return await sender.send(url, ["whsec_" + "A" * 32], "ping", "dlv_x", b"{}")
            finally:
                await sender.aclose()

        result = asyncio.run(send())
        assert not result.ok and result.status is None
        assert result.error == "Refused: Webhook URL must not point to a private or internal address."
        assert receiver.received == []
    finally:
        receiver.close()

"""The delivery client against a real loopback server that answers in the ways HTTP allows:
keep-alive reuse, chunked and close-delimited bodies, servers that drop idle connections,
redirects (never followed), a bounded body head and a bounded wait."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from infrastructure.ssrf_guard import UnsafeTarget
from infrastructure.webhooks.http_client import WebhookHttpClient

Reply = Callable[[int], tuple[bytes, bool]]  # request number -> (raw response, then close?)


async def _serve(reply: Reply) -> tuple[Any, list[int], list[bytes]]:
    """A server that reads each request and answers ``reply(n)``; counts connections."""
    accepted: list[int] = []
    requests: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                     if line.lower().startswith(b"content-length:")), 0,
                )
                requests.append(head + await reader.readexactly(length))
                raw, close = reply(len(requests))
                if raw:
                    writer.write(raw)
                    await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, accepted, requests


def _run(reply: Reply, scenario: Callable[[WebhookHttpClient, str], Any], timeout: float = 5) -> tuple[Any, list[int], list[bytes]]:
    async def main() -> tuple[Any, list[int], list[bytes]]:
        server, accepted, requests = await _serve(reply)
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hooks/in?x=1"
        client = WebhookHttpClient(timeout=timeout, allow_private=True, keep=16)
        try:
            return await scenario(client, url), accepted, requests
        finally:
            await client.aclose()
            server.close()

    return asyncio.run(main())


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"ok\":true}"


def test_connections_are_kept_alive_and_requests_are_well_formed() -> None:
    async def three(client: WebhookHttpClient, url: str) -> list[Any]:
        return [await client.post(url, {"X-Webhook-Event": "ping"}, b'{"n":%d}' % n) for n in range(3)]

    answers, accepted, requests = _run(lambda n: (OK, False), three)
    assert [(a.status, a.head) for a in answers] == [(200, b'{"ok":true}')] * 3
    assert len(accepted) == 1
    first = requests[0].decode()
    assert first.startswith("POST /hooks/in?x=1 HTTP/1.1\r\n")
    assert "\r\nHost: 127.0.0.1:" in first and "\r\nX-Webhook-Event: ping\r\n" in first
    assert first.endswith('\r\n\r\n{"n":0}')


def test_chunked_and_close_delimited_bodies_and_a_bounded_head() -> None:
    chunked = b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    until_close = b"HTTP/1.0 200 OK\r\n\r\n" + b"x" * 40

    async def two(client: WebhookHttpClient, url: str) -> list[Any]:
        return [await client.post(url, {}, b"{}") for _ in range(2)]

    answers, accepted, _ = _run(lambda n: (chunked, False) if n == 1 else (until_close, True), two)
    assert (answers[0].status, answers[0].head) == (202, b"hello world")
    assert (answers[1].status, answers[1].head) == (200, b"x" * 16)  # only the first 16 bytes kept
    assert len(accepted) == 1


def test_a_connection_the_receiver_closes_is_not_reused_and_a_dropped_idle_one_is_retried() -> None:
    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"

    async def twice(client: WebhookHttpClient, url: str) -> list[int]:
        statuses = []
        for _ in range(2):
            statuses.append((await client.post(url, {}, b"{}")).status)
            await asyncio.sleep(0.05)  # the server's close arrives while the connection idles
        return statuses

    statuses, accepted, _ = _run(lambda n: (closing, True), twice)
    assert statuses == [200, 200] and len(accepted) == 2
    # No "Connection: close" header, but the server hangs up after answering: the next request
    # goes out on the dead idle connection, fails without any answer, and is sent again.
    silent = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    statuses, accepted, requests = _run(lambda n: (silent, True), twice)
    assert statuses == [200, 200] and len(accepted) == 2 and len(requests) == 2


def test_redirects_are_answers_not_followed() -> None:
    moved = b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/\r\nContent-Length: 0\r\n\r\n"

    async def once(client: WebhookHttpClient, url: str) -> Any:
        return await client.post(url, {}, b"{}")

    answer, _, requests = _run(lambda n: (moved, False), once)
    assert answer.status == 302 and len(requests) == 1


def test_a_receiver_that_never_answers_times_out() -> None:
    async def once(client: WebhookHttpClient, url: str) -> Any:
        return await client.post(url, {}, b"{}")

    with pytest.raises(TimeoutError):
        _run(lambda n: (b"", False), once, timeout=0.3)


def test_private_targets_are_refused_before_connecting_unless_allowed() -> None:
    async def main() -> None:
        client = WebhookHttpClient(timeout=2, allow_private=False)
        for url in ("http://127.0.0.1:9/x", "http://localhost:9/x", "http://[::1]:9/x", "http://10.1.2.3/x"):
            with pytest.raises(UnsafeTarget):
                await client.post(url, {}, b"{}")
        await client.aclose()

    asyncio.run(main())

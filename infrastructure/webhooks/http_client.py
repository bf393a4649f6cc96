"""A small HTTP/1.1 client for webhook deliveries: POST a body, read the status and the first
bytes of the answer, keep the connection for the next one.

Why not a general client: delivering 2,000 webhooks/s is most of what the delivery worker
does, and measured here (one core, keep-alive, a local receiver) aiohttp spends ~260 µs of CPU
per request and httpx more; this client, which does only what a delivery needs on top of the
C parser uvicorn already brings (httptools), ~100 µs. What it does not do, on purpose:
redirects (never followed for webhooks), cookies, proxies, compression, HTTP/2.

Addresses are resolved here and every one must be public (unless private targets are
allowed): the connection goes to an address that was checked, so a DNS answer that changes
between the check and the connect (rebinding) cannot slip through.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
import time
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httptools

from infrastructure.ssrf_guard import PRIVATE, UnsafeTarget, is_public

RESOLVE_TTL = 60.0  # seconds a name's checked addresses are reused before resolving again


@dataclass(frozen=True)
class Answer:
    status: int
    head: bytes  # the first ``keep`` bytes of the body


class _Target:
    __slots__ = ("host", "host_header", "path", "port", "tls")

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url}")
        self.tls = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.tls else 80)
        default = 443 if self.tls else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        self.host_header = name if self.port == default else f"{name}:{self.port}"
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class _Connection(asyncio.Protocol):
    """One keep-alive connection: a single request at a time."""

    def __init__(self, keep: int) -> None:
        self._keep = keep
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.reusable = True
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[Answer] | None = None
        self._status = 0
        self._head = bytearray()
        self._got_bytes = False
        self._headers_done = False

    # -- asyncio.Protocol ---------------------------------------------------------------------
    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self._got_bytes = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(ConnectionError("unexpected protocol upgrade"))
        except httptools.HttpParserError as error:
            self._fail(ConnectionError(f"malformed response: {error}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._headers_done:  # a body that ends with the connection: what we have is it
            self._finish()
        else:
            self._fail(ConnectionError("connection closed before a response"))

    # -- httptools callbacks ------------------------------------------------------------------
    def on_headers_complete(self) -> None:
        self._headers_done = True
        self._status = self._parser.get_status_code()
        self.reusable = self._parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        room = self._keep - len(self._head)
        if room > 0:
            self._head += body[:room]

    def on_message_complete(self) -> None:
        self._finish()

    # -- requests -----------------------------------------------------------------------------
    def _finish(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(Answer(self._status, bytes(self._head)))

    def _fail(self, error: Exception) -> None:
        self.reusable = False
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(error)

    @property
    def answered_anything(self) -> bool:
        return self._got_bytes

    async def request(self, raw: bytes) -> Answer:
        assert self.transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self._status, self._head, self._got_bytes, self._headers_done = 0, bytearray(), False, False
        self.transport.write(raw)
        return await self._waiter

    def close(self) -> None:
        self.reusable = False
        if self.transport is not None and not self.closed:
            self.transport.close()


class WebhookHttpClient:
    """Keep-alive connections per (scheme, host, port); one event loop."""

    def __init__(self, timeout: float, allow_private: bool, keep: int = 500, pool_per_host: int = 32) -> None:
        self._timeout = timeout
        self._allow_private = allow_private
        self._keep = keep
        self._pool_per_host = pool_per_host
        self._idle: dict[tuple[bool, str, int], deque[_Connection]] = {}
        self._resolved: dict[tuple[str, int], tuple[float, list[str]]] = {}
        self._targets: dict[str, _Target] = {}
        self._tls: ssl.SSLContext | None = None

    async def post(self, url: str, headers: dict[str, str], body: bytes) -> Answer:
        """POST ``body``; raises ``UnsafeTarget``, ``TimeoutError`` or ``OSError``."""
        target = self._targets.get(url)
        if target is None:
            target = self._targets[url] = _Target(url)
        lines = [f"POST {target.path} HTTP/1.1", f"Host: {target.host_header}",
                 f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        async with asyncio.timeout(self._timeout):
            conn, reused = await self._connection(target)
            try:
                answer = await conn.request(raw)
            except ConnectionError:
                conn.close()
                if not reused or conn.answered_anything:
                    raise
                # The receiver had closed this idle connection: once more on a fresh one.
                conn, _ = await self._connection(target, fresh=True)
                try:
                    answer = await conn.request(raw)
                except BaseException:
                    conn.close()
                    raise
            except BaseException:
                conn.close()
                raise
        self._release(target, conn)
        return answer

    async def _connection(self, target: _Target, fresh: bool = False) -> tuple[_Connection, bool]:
        key = (target.tls, target.host, target.port)
        idle = self._idle.get(key)
        while idle and not fresh:
            conn = idle.pop()
            if not conn.closed and conn.reusable:
                return conn, True
        addresses = await self._addresses(target.host, target.port)
        loop = asyncio.get_running_loop()
        failure: OSError | None = None
        for address in addresses:
            try:
                _, conn = await loop.create_connection(
                    lambda: _Connection(self._keep), address, target.port,
                    ssl=self._tls_context() if target.tls else None,
                    server_hostname=target.host if target.tls else None,
                )
                return conn, False
            except OSError as error:
                failure = error
        raise failure or OSError(f"no address for {target.host}")

    def _release(self, target: _Target, conn: _Connection) -> None:
        if conn.closed or not conn.reusable:
            conn.close()
            return
        idle = self._idle.setdefault((target.tls, target.host, target.port), deque())
        if len(idle) >= self._pool_per_host:
            conn.close()
        else:
            idle.append(conn)

    async def _addresses(self, host: str, port: int) -> list[str]:
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            if not self._allow_private and not is_public(literal):
                raise UnsafeTarget(PRIVATE)
            return [host]
        cached = self._resolved.get((host, port))
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses:
            raise OSError(f"could not resolve {host}")
        if not self._allow_private and not all(
            is_public(ipaddress.ip_address(a.split("%")[0])) for a in addresses
        ):
            raise UnsafeTarget(PRIVATE)
        self._resolved[(host, port)] = (time.monotonic() + RESOLVE_TTL, addresses)
        return addresses

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls

    async def aclose(self) -> None:
        for idle in self._idle.values():
            while idle:
                with contextlib.suppress(Exception):
                    idle.pop().close()
        self._idle.clear()

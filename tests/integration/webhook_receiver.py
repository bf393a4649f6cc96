"""A real HTTP webhook receiver on 127.0.0.1 for tests and the benchmark.

Every request is verified twice, as a user's receiver would: with the ``standardwebhooks``
package (``webhook-id/-timestamp/-signature``) and with LearnHouse's ``X-Webhook-Signature:
sha256=<hex>`` header, against the secrets the test hands it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    body: dict[str, Any]
    raw: bytes
    headers: dict[str, str]
    at: float
    standard_ok: dict[str, bool] = field(default_factory=dict)  # secret → verified
    sha256_ok: dict[str, bool] = field(default_factory=dict)


class Receiver:
    def __init__(
        self, status: int = 200, delay: float = 0.0, verify_standard: bool = True, port: int = 0
    ) -> None:
        self.status = status
        self.delay = delay
        self.hang = threading.Event()  # set → requests block until released
        self.release = threading.Event()
        self.secrets: list[str] = []
        self.verify_standard = verify_standard
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length)
                if receiver.hang.is_set():
                    receiver.release.wait(60)
                    return
                receiver._record(raw, {k: v for k, v in self.headers.items()})
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.status
                reply = b'{"ok":true}' if status < 300 else b'{"detail":"receiver says no"}'
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except OSError:
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def _record(self, raw: bytes, headers: dict[str, str]) -> None:
        item = Received(json.loads(raw), raw, headers, time.time())
        lower = {k.lower(): v for k, v in headers.items()}
        sha_headers = [lower.get("x-webhook-signature", ""), lower.get("x-webhook-signature-previous", "")]
        for secret in self.secrets:
            expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
            item.sha256_ok[secret] = any(hmac.compare_digest(expected, h) for h in sha_headers if h)
            if self.verify_standard:
                try:
                    Webhook(secret).verify(raw, headers)
                    item.standard_ok[secret] = True
                except WebhookVerificationError:
                    item.standard_ok[secret] = False
        with self.arrived:
            self.received.append(item)
            self.arrived.notify_all()

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.received) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{self.url}: got {len(self.received)} of {count} deliveries")
                self.arrived.wait(remaining)
            return list(self.received)

    def events(self) -> list[str]:
        with self.lock:
            return [r.body["event"] for r in self.received]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

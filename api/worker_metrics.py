"""``learnstream worker --metrics-port``: the worker's own ``GET /metrics``.

A worker serves no HTTP API, yet webhook deliveries, generation jobs and follower lag are
counted in it. Processes on one host can share ``LEARNSTREAM_METRICS_DIR`` and any API process
serves the sums; a worker on a host (or container) of its own answers here instead, under the
same rule as the API's route: the ``LEARNSTREAM_METRICS_TOKEN`` bearer token, or loopback only.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from infrastructure.metrics import CONTENT_TYPE, exposition, scrape_allowed

log = logging.getLogger("learnstream.metrics")


class WorkerMetricsServer:
    def __init__(self, host: str, port: int, token: str, *state: Any) -> None:
        handler = _handler(token, state)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="worker-metrics", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> WorkerMetricsServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(token: str, state: tuple[Any, ...]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] != "/metrics":
                self._answer(404, b'{"detail":"Not Found","code":"NOT_FOUND"}', "application/json")
            elif not scrape_allowed(self.headers.get("Authorization", ""), self.client_address[0], token):
                detail = (
                    b"A valid metrics token is required" if token
                    else b"Metrics are served to local clients only"
                )
                self._answer(403, b'{"detail":"' + detail + b'","code":"FORBIDDEN"}', "application/json")
            else:
                self._answer(200, exposition(*state), CONTENT_TYPE)

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("worker metrics: " + format, *args)

    return Handler

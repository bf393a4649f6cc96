"""GET /api/health answers 503 {"status":"degraded","database":"unreachable"} once the
database goes away, and 200 again when it is back (seed 002)."""

from __future__ import annotations

import contextlib
import socket
import threading
import uuid
from typing import Any

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.bootstrap import Container
from infrastructure.settings import Settings
from tests.conftest import PG_URL, drop_schema, require_service


class TcpProxy:
    """A loopback TCP relay we can cut, standing for a database that becomes unreachable."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.open = True
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.open = False
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass
        self.sockets.clear()

    def restore(self) -> None:
        self.open = True


@pytest.mark.postgres
def test_health_reports_degraded_while_postgres_is_unreachable(tmp_path: Any) -> None:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    proxy = TcpProxy(("127.0.0.1", 5432))
    schema = "t_" + uuid.uuid4().hex[:12]
    url = PG_URL.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}") + f"?schema={schema}"
    settings = Settings.from_env(
        {"LEARNSTREAM_DATABASE_URL": url, "LEARNSTREAM_DATA_DIR": str(tmp_path), "LEARNSTREAM_ARGON2_PROFILE": "test"}
    )
    container = Container.build(settings)
    try:
        with TestClient(app=create_app(container, run_followers=False)) as client:
            ok = client.get("/api/health")
            assert (ok.status_code, ok.json()) == (200, {"status": "ok", "database": None})
            proxy.cut()
            down = client.get("/api/health")
            assert (down.status_code, down.json()) == (503, {"status": "degraded", "database": "unreachable"})
            proxy.restore()
            for _ in range(20):
                if client.get("/api/health").status_code == 200:
                    break
            assert client.get("/api/health").status_code == 200
    finally:
        proxy.cut()
        container.close()
        drop_schema(schema)

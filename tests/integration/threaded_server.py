"""The app served by uvicorn in a thread, configured as ``learnstream serve`` runs it
(``api.cli.server_config``), for tests that need real connections from chosen addresses."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from tests.conftest import free_port


def served(env: dict[str, str]) -> Iterator[str]:
    """Yields the base URL; stops the server and closes the container afterwards."""
    import uvicorn

    from api.app import create_app
    from api.bootstrap import Container
    from api.cli import server_config
    from infrastructure.settings import Settings

    settings = Settings.from_env(env)
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

"""The ``learnstream`` command: serve, worker, replay, status, create-admin."""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from api.history_cli import add_history_commands
from api.replay_cli import add_replay_command
from domain.knowledge import KnowledgeBaseError
from infrastructure.settings import Settings


def cmd_serve(args: argparse.Namespace) -> int:
    from api.app import create_app
    from api.bootstrap import Container
    from api.log_format import configure_logging

    settings = Settings.from_env()
    container = Container.build(settings)
    if settings.run_followers:
        # Catch up before listening: after a crash or a deploy the read models may be behind
        # the log, and a client that got a 2xx before the restart must still read its write.
        container.catch_up()
        container.start_followers(generation_in_child=settings.generation_worker_process)
    else:
        if settings.uses_postgres:
            container.share_positions(tell=False)  # the workers' positions, as they move
        _wait_for_workers(container)
    generated = container.bootstrap()
    if generated:
        email = container.settings.admin_email or "admin@learnstream.local"
        print(
            f"Created org 'default' with admin {email} / password: {generated}"
            "  (shown once; set LEARNSTREAM_ADMIN_PASSWORD to choose it)",
            flush=True,
        )
    app = create_app(container)
    configure_logging(settings.log_format)  # building the app installed Litestar's handlers
    # Everything built so far lives as long as the process: frozen, it is out of every garbage
    # collection that requests' short-lived objects trigger (an audit export streamed 68k
    # events/s with the application walked by each collection, 124k without).
    gc.freeze()
    try:
        _run_server(server_config(app, args.host, args.port, settings))
    finally:
        container.close()  # a generation child gives its running jobs back
    return 0


def serving_line(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"serving on http://{shown}:{port} (docs: /docs)"


def server_config(app: Any, host: str, port: int, settings: Settings) -> Any:
    """uvicorn's settings for ``serve``. Forwarded-for headers are believed only from the
    proxies ``trusted_proxies`` names: uvicorn's own default trusts any local process, and a
    client that names its own address could step around login throttling and rate limits.
    Its loggers go through ours (``log_config=None``)."""
    import uvicorn

    proxies = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    return uvicorn.Config(
        app, host=host, port=port, log_level="warning", access_log=False, log_config=None,
        proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None,
    )


def _run_server(config: Any) -> None:
    """uvicorn, plus one line saying where it listens once it does (the real port: 0 asks the
    system for a free one)."""
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            if self.started and self.servers and self.servers[0].sockets:
                bound = self.servers[0].sockets[0].getsockname()
                print(serving_line(str(bound[0]), int(bound[1])), flush=True)

    Server(config).run()


def _wait_for_workers(container: Any, report_every: float = 10.0) -> None:
    """Without followers of its own, the API needs a worker's read models before it can serve.

    Waits until every projection is tracked and has reached the log's head as it was when we
    started (so a fresh store's first-start writes, and the reads after them, can succeed).
    """
    from projections.engine.framework import saved_position

    head = container.events.last_position()
    next_report = 0.0
    while True:
        behind = []
        for name, projection in container.projections.items():
            position = saved_position(container.read_store, projection)
            if position is None or position < head:
                behind.append(name)
        if not behind:
            return
        if time.monotonic() >= next_report:
            next_report = time.monotonic() + report_every
            print(
                f"waiting for a learnstream worker to bring {', '.join(behind)} to position"
                f" {head} (LEARNSTREAM_RUN_FOLLOWERS=0)",
                flush=True,
            )
        time.sleep(0.5)


def cmd_worker(args: argparse.Namespace) -> int:
    from api.bootstrap import Container

    container = Container.build(Settings.from_env())
    container.start_followers()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("learnstream worker: following the event log", flush=True)
    scrape = None
    if args.metrics_port is not None:
        from api.state_metrics import StateCollector
        from api.worker_metrics import WorkerMetricsServer

        state = StateCollector(
            container.events, container.board, container.projections, container.webhook_outbox
        )
        scrape = WorkerMetricsServer(
            args.metrics_host, args.metrics_port, container.settings.metrics_token, state
        ).start()
        print(f"metrics on http://{args.metrics_host}:{scrape.port}/metrics", flush=True)
    stop.wait()
    if scrape is not None:
        scrape.close()
    container.close()
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Where the log and every read model stand; a health check for workers."""
    from api.bootstrap import Container
    from projections.engine.framework import saved_position
    from projections.engine.rebuild_state import pending

    container = Container.build(Settings.from_env())
    try:
        head = container.events.last_position()
        print(f"{'log':<12} {head}")
        worst = 0
        for name, projection in container.projections.items():
            position = saved_position(container.read_store, projection) or 0
            worst = max(worst, head - position)
            print(f"{name:<12} {position} (v{projection.version}, {head - position} behind)")
            rebuilding = pending(container.read_store, projection)
            if rebuilding is not None:
                print(
                    f"{'':<12} rebuilding v{rebuilding.version} beside it ({rebuilding.kind}, since"
                    f" {rebuilding.started_at}): at {rebuilding.position} of {head}"
                )
    finally:
        container.close()
    if args.max_lag is not None and worst > args.max_lag:
        print(f"a read model is {worst} events behind (more than {args.max_lag})", file=sys.stderr)
        return 1
    return 0


def cmd_create_admin(args: argparse.Namespace) -> int:
    import getpass

    from api.bootstrap import Container

    settings = Settings.from_env()
    container = Container.build(settings)
    container.start_followers()
    try:
        if container.events.last_position() == 0:
            generated = container.bootstrap()
            if generated:
                print(f"Created org 'default' and admin; password: {generated}")
            return 0
        email = args.email or settings.admin_email or input("Admin email: ")
        password = args.password or settings.admin_password or getpass.getpass("Password: ")
        container.create_admin(email, password, args.org)
        print(f"{email} is now Admin of org '{args.org}'")
    finally:
        container.close()
    return 0


def _use_metrics_dir(settings: Settings) -> None:
    """Multiprocess metrics: prometheus_client reads this variable once, when it is imported,
    so it is set here before any command imports the application."""
    if settings.metrics_dir and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        Path(settings.metrics_dir).mkdir(parents=True, exist_ok=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = settings.metrics_dir


def main(argv: Sequence[str] | None = None) -> int:
    from api.log_format import configure_logging

    settings = Settings.from_env()
    configure_logging(settings.log_format)
    _use_metrics_dir(settings)
    parser = argparse.ArgumentParser(prog="learnstream", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="API plus every follower in one process")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_serve)
    worker = sub.add_parser("worker", help="followers only (projections, publishers, workers)")
    worker.add_argument(
        "--metrics-port", type=int, help="serve GET /metrics on this port (0: any free port)"
    )
    worker.add_argument("--metrics-host", default="127.0.0.1")
    worker.set_defaults(func=cmd_worker)
    add_replay_command(sub)
    status = sub.add_parser("status", help="log head and read-model positions (health check)")
    status.add_argument("--max-lag", type=int, help="exit 1 when a read model is further behind")
    status.set_defaults(func=cmd_status)
    admin = sub.add_parser("create-admin", help="create (or promote) an org admin")
    admin.add_argument("--email")
    admin.add_argument("--password")
    admin.add_argument("--org", default="default")
    admin.set_defaults(func=cmd_create_admin)
    add_history_commands(sub)  # export, verify-export
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except KnowledgeBaseError as broken:
        # An operator's mistake in their own files: name each problem, no traceback.
        print(f"learnstream: the knowledge base is broken:\n{broken}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())

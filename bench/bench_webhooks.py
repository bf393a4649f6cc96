"""Webhook benchmark: event → receiver latency and maximum deliveries/s.

Ten receivers run in a separate process (asyncio HTTP/1.1 keep-alive servers on 127.0.0.1)
so they do not share our GIL. Latency is receive time minus the event's own timestamp.

Shapes (``--shape``):
- ``embedded``: everything in this one process, as ``learnstream serve`` runs on the embedded
  default: the commands appending events, every follower (read models, search index, webhook
  publisher) and the delivery worker share one interpreter.
- ``split`` (PostgreSQL, the production shape of compose.yaml): this process is the API side
  and only appends; a ``learnstream worker`` process runs the followers and the delivery worker.

1. Latency: course events appended at ``--rate`` events/s for ``--seconds``, each fanned out
   to 10 endpoints; p50/p99 over every delivery.
2. Throughput (in this process, both shapes): the worker is stopped, ``--burst`` events (x 10
   endpoints) queue in the outbox, then a worker starts and we time until every delivery was
   received.

    .venv/bin/python bench/bench_webhooks.py [--backend sqlite|postgres] [--shape embedded|split]
        [--rate 200] [--seconds 10] [--burst 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from serve_process import terminate

PG_URL = os.environ.get("LEARNSTREAM_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
ENDPOINTS = 10


# -- receiver process ----------------------------------------------------------------------
async def _serve(count: int) -> None:
    latencies: list[float] = []
    received = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal received
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length)
                now = time.time()
                stamp = json.loads(body)["timestamp"]
                latencies.append(now - datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp())
                received += 1
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}")
        except (asyncio.IncompleteReadError, asyncio.CancelledError, ConnectionError):
            pass
        finally:
            writer.close()

    servers = [await asyncio.start_server(handle, "127.0.0.1", 0) for _ in range(count)]
    print(json.dumps([s.sockets[0].getsockname()[1] for s in servers]), flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        command = line.strip()
        if command == "stats":
            print(json.dumps({"received": received, "latencies": latencies}), flush=True)
        elif command == "reset":
            latencies, received = [], 0
            print("{}", flush=True)
        elif command in ("quit", ""):
            return


class Receivers:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--receiver"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        self.ports: list[int] = json.loads(self.proc.stdout.readline())

    def ask(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return dict(json.loads(self.proc.stdout.readline()))

    def wait_received(self, count: int, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            stats = self.ask("stats")
            if stats["received"] >= count or time.monotonic() > deadline:
                return stats
            time.sleep(0.05)

    def close(self) -> None:
        self.ask("reset")
        assert self.proc.stdin is not None
        self.proc.stdin.write("quit\n")
        self.proc.stdin.flush()
        self.proc.wait(10)


# -- app side --------------------------------------------------------------------------------
def env_for(backend: str, workdir: Path, worker: bool) -> dict[str, str]:
    env = {
        "LEARNSTREAM_DATA_DIR": str(workdir / "var"),
        "LEARNSTREAM_ADMIN_EMAIL": "bench@example.com",
        "LEARNSTREAM_ADMIN_PASSWORD": "bench-password-1",
        "LEARNSTREAM_JWT_SECRET": "bench-" + uuid.uuid4().hex,
        "LEARNSTREAM_ARGON2_PROFILE": "test",
        "LEARNSTREAM_WEBHOOKS_ALLOW_PRIVATE": "1",
        "LEARNSTREAM_WEBHOOKS_WORKER": "1" if worker else "0",
        "LEARNSTREAM_WEBHOOKS_PER_ENDPOINT": "16",
        "LEARNSTREAM_WEBHOOKS_CONCURRENCY": "256",
    }
    if backend == "postgres":
        schema = getattr(env_for, "schema", None) or "bench_wh_" + uuid.uuid4().hex[:8]
        env_for.schema = schema  # type: ignore[attr-defined]
        env["LEARNSTREAM_DATABASE_URL"] = f"{PG_URL}?schema={schema}"
    return env


def start_worker_process(env: dict[str, str], workdir: Path) -> subprocess.Popen[bytes]:
    log = open(workdir / "worker.log", "wb")  # noqa: SIM115 (kept open for the child's life)
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("learnstream")), "worker"],
        env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while b"following the event log" not in (workdir / "worker.log").read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError((workdir / "worker.log").read_text()[-3000:])
        time.sleep(0.1)
    return proc


def new_course(container: Any, org_uuid: str, author: uuid.UUID, n: int) -> Any:
    from domain.courses import Course

    return Course(
        org_id=uuid.UUID(org_uuid), author_id=author, name=f"Bench {n}", description="d",
        about="a", learnings="", tags="", public=True, published=False, thumbnail_image="",
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(backend: str, shape: str, rate: int, seconds: float, burst: int) -> None:
    from api.bootstrap import Container
    from application.authorization import Principal
    from application.webhooks import WebhookCreate
    from infrastructure.settings import Settings

    workdir = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    receivers = Receivers()
    env = env_for(backend, workdir, worker=True)
    container = Container.build(Settings.from_env(env))
    worker_proc = None
    try:
        if shape == "split":
            worker_proc = start_worker_process(env, workdir)
        else:
            container.start_followers()
        container.bootstrap()
        org_uuid = container.orgs.org_uuid_by_slug("default")
        admin = uuid.UUID(container.identity.user_by_email("bench@example.com")["user_uuid"])
        principal = Principal(user_id=admin)
        for port in receivers.ports:
            container.webhooks.create(
                principal, 1, WebhookCreate(url=f"http://127.0.0.1:{port}/hook", events=["course_created"])
            )
        # Warm up connections and code paths.
        for n in range(20):
            container.events.save(new_course(container, org_uuid, admin, n))
        receivers.wait_received(20 * ENDPOINTS)
        receivers.ask("reset")

        total = int(rate * seconds)
        started = time.perf_counter()
        for n in range(total):
            target = started + n / rate
            pause = target - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            container.events.save(new_course(container, org_uuid, admin, n))
        stats = receivers.wait_received(total * ENDPOINTS)
        lat = [x * 1000 for x in stats["latencies"]]
        print(f"[{backend}, {shape}] latency at {rate} events/s x {ENDPOINTS} endpoints"
              f" ({stats['received']} deliveries): p50 {statistics.median(lat):.1f} ms,"
              f" p99 {percentile(lat, 0.99):.1f} ms, max {max(lat):.1f} ms")

        if worker_proc is not None:  # the throughput phase runs in this process
            terminate(worker_proc)
            worker_proc = None
            container.start_followers()
            container.board.wait(container.events.last_position(), ["webhook_publisher"], 120)
            receivers.wait_received(total * ENDPOINTS, timeout=5)
        receivers.ask("reset")
        container.stop_webhook_worker()
        for n in range(burst):
            container.events.save(new_course(container, org_uuid, admin, n))
        container.board.wait(container.events.last_position(), ["webhook_publisher"], 120)
        begun = time.perf_counter()
        container.start_webhook_worker()
        stats = receivers.wait_received(burst * ENDPOINTS, timeout=300)
        took = time.perf_counter() - begun
        print(f"[{backend}] throughput: {stats['received']} deliveries from a full outbox in {took:.2f} s"
              f" = {stats['received'] / took:.0f} deliveries/s")
    finally:
        if worker_proc is not None:
            terminate(worker_proc)
        container.close()
        receivers.close()
        if backend == "postgres":
            import psycopg

            from infrastructure.settings import PostgresDsn

            with psycopg.connect(PostgresDsn.parse(PG_URL).conninfo(), autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{env_for.schema}" CASCADE')  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--receiver", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--shape", choices=["embedded", "split"], default="embedded")
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--burst", type=int, default=1000)
    args = parser.parse_args()
    if args.receiver:
        asyncio.run(_serve(ENDPOINTS))
        return
    import logging

    logging.basicConfig(level=logging.WARNING)
    if args.shape == "split" and args.backend != "postgres":
        parser.error("--shape split needs --backend postgres (processes share the store)")
    run(args.backend, args.shape, args.rate, args.seconds, args.burst)


if __name__ == "__main__":
    main()

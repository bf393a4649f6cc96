"""History benchmark: audit export rate and memory, raw log read rate, ``as_of`` latency.

    python bench/bench_history.py --backend sqlite --events 1000000
    python bench/bench_history.py --backend postgres --events 1000000 \
        --database-url postgresql://postgres@127.0.0.1:5432/test

Seeds a fresh store with N events in one org (courses, each created then edited, saved in
batches as a busy platform would append them) plus one course edited 1,000 times, brings the
audit chain up to date, then measures:

- the raw row-read rate of the event table (server-side cursor, no decoding);
- the audit chain's catch-up rate (the follower that hashes every event);
- export in events/s and peak RSS, NDJSON and Parquet, over the last 100,000 events and over
  all of them, each in a process of its own (so peak RSS is that export's alone);
- replay of every built-in read model (``learnstream replay``'s bulk rebuild), in events/s,
  beside the raw row-read rate measured in the same process just before it;
- the same NDJSON exports over HTTP from a ``learnstream serve`` process;
- ``as_of`` on the 1,000-event course at random positions: p50/p99 over 300 calls.

``--keep`` leaves the seeded store in place (``--data-dir``, and ``--schema`` on PostgreSQL);
run again with the same ``--data-dir`` and ``--schema`` and the seeding is skipped.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def env_for(args: argparse.Namespace) -> dict[str, str]:
    env = {
        "LEARNSTREAM_DATA_DIR": args.data_dir,
        "LEARNSTREAM_ADMIN_EMAIL": "admin@example.com",
        "LEARNSTREAM_ADMIN_PASSWORD": "admin-password-1",
        "LEARNSTREAM_JWT_SECRET": "bench-secret",
        "LEARNSTREAM_ARGON2_PROFILE": "test",
        "LEARNSTREAM_GENERATION_WORKER": "0",
        "LEARNSTREAM_WEBHOOKS_WORKER": "0",
    }
    if args.backend == "postgres":
        env["LEARNSTREAM_DATABASE_URL"] = f"{args.database_url}?schema={args.schema}"
    return env


def container_for(args: argparse.Namespace) -> Any:
    from api.bootstrap import Container
    from infrastructure.settings import Settings

    return Container.build(Settings.from_env(env_for(args)))


def seed(args: argparse.Namespace) -> dict[str, Any]:
    from domain.courses import Course

    container = container_for(args)
    container.start_followers()
    container.bootstrap()
    container.loop.stop()
    container.loop = None
    org = uuid.UUID(container.orgs.org_uuid_by_slug("default"))
    admin = container.identity.user_by_email("admin@example.com")["user_uuid"]
    author = uuid.UUID(admin)

    def course(name: str) -> Course:
        return Course(
            org_id=org, author_id=author, name=name, description="d" * 60, about="a" * 40,
            learnings="", tags="bench", public=True, published=True, thumbnail_image="",
        )

    started = time.perf_counter()
    long_lived = course("Edited a thousand times")
    for i in range(999):
        long_lived.update({"name": f"Edit {i}"})
        if len(long_lived.pending_events) >= 500:
            container.events.save(long_lived)
    container.events.save(long_lived)
    written = 1000
    per_course = 20
    while written < args.events:
        batch = []
        for _ in range(25):  # 25 courses x 20 events: one append of 500 events
            c = course(f"Course {written}")
            for j in range(per_course - 1):
                c.update({"description": f"revision {j}"})
            batch.append(c)
            written += per_course
        container.events.save(*batch)
        if written % 100_000 < 500:
            print(f"  seeded {written} events", file=sys.stderr, flush=True)
    seeded = time.perf_counter() - started
    head = container.events.last_position()
    from projections.engine.followers import Follower
    from projections.engine.framework import saved_position

    chain = Follower(container.projections["audit_chain"], container.events, batch_size=1000)
    chain.start()
    chained_before = saved_position(chain.projection.store, chain.projection) or 0
    started = time.perf_counter()
    chain.catch_up()
    chain.flush()
    chain_seconds = time.perf_counter() - started
    container.close()
    return {
        "head": head, "seed_seconds": seeded, "chain_events": head - chained_before,
        "chain_seconds": chain_seconds, "long_course": str(long_lived.id), "admin": admin,
    }


def raw_read_rate(args: argparse.Namespace) -> dict[str, float]:
    container = container_for(args)
    from infrastructure.log_reader import LogReader

    reader = LogReader.for_store(container.settings, container.events)
    started = time.perf_counter()
    rows = sum(len(page) for page in reader.scan(after=0, page=5000))
    seconds = time.perf_counter() - started
    reader.close()
    container.close()
    return {"rows": rows, "seconds": seconds, "rows_per_second": rows / seconds}


def export_once(args: argparse.Namespace) -> None:
    """Child process: one export, timed from the first page read to the last byte written."""
    from application.audit_export import ExportRequest
    from application.export_formats import ndjson_chunks

    container = container_for(args)
    gc.freeze()  # as ``learnstream export`` does once its container is built
    plan = container.audit_export.plan_unchecked(None, ExportRequest(after=args.after))
    out = Path(args.out)
    started = time.perf_counter()
    first_page = 0.0
    records = 0
    pages = container.audit_export.pages(plan)
    if args.format == "parquet":
        from infrastructure.parquet_export import ParquetExport

        target = ParquetExport(out)
        for page in pages:
            records += target.write(page)
            first_page = first_page or time.perf_counter() - started
        target.close()
    else:
        with out.open("wb") as handle:
            for page in pages:
                records += len(page)
                for chunk in ndjson_chunks([page]):
                    handle.write(chunk)
                first_page = first_page or time.perf_counter() - started
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    container.close()
    print(json.dumps({
        "records": records, "seconds": seconds, "peak_rss_mb": peak_mb, "first_page_ms": 1000 * first_page,
    }))


def export_in_child(args: argparse.Namespace, fmt: str, after: int, tmp: Path) -> dict[str, Any]:
    out = tmp / f"export-{fmt}-{after}"
    command = [
        sys.executable, __file__, "--child-export", "--backend", args.backend,
        "--data-dir", args.data_dir, "--schema", args.schema, "--database-url",
        args.database_url, "--format", fmt, "--after", str(after), "--out", str(out),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["events_per_second"] = result["records"] / result["seconds"]
    return result


def http_export(args: argparse.Namespace, afters: tuple[int, ...]) -> list[dict[str, Any]]:
    """The same exports through ``learnstream serve`` (NDJSON over HTTP, read as it streams)."""
    import os
    import socket

    import httpx
    from serve_process import terminate, wait_until_healthy

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEARNSTREAM_")}
    log = Path(args.data_dir) / "serve.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
            env={**env, **env_for(args)}, stdout=sink, stderr=sink, cwd=ROOT,
        )
    base = f"http://127.0.0.1:{port}"
    results = []
    try:
        wait_until_healthy(server, base, log.read_text, 600)
        login = httpx.post(
            base + "/api/v1/auth/login",
            data={"username": "admin@example.com", "password": "admin-password-1"},
        )
        headers = {"Authorization": f"Bearer {login.json()['tokens']['access_token']}"}
        for after in afters:
            started = time.perf_counter()
            records = 0
            with httpx.stream(
                "GET", base + "/api/v1/orgs/1/audit/events", params={"after": after},
                headers=headers, timeout=600,
            ) as response:
                for chunk in response.iter_bytes(1 << 20):
                    records += chunk.count(b"\n")
            seconds = time.perf_counter() - started
            results.append({"records": records, "events_per_second": records / seconds})
        status = Path(f"/proc/{server.pid}/status").read_text()
        peak = int(status.split("VmHWM:")[1].split()[0]) / 1024
        for r in results:
            r["server_peak_rss_mb"] = peak
    finally:
        terminate(server)
    return results


def replay_rate(args: argparse.Namespace) -> dict[str, float]:
    """Every built-in read model rebuilt in one pass over the log, after a raw read of the
    same table in the same process (the ceiling a replay could reach)."""
    from projections.engine.rebuild import Rebuild

    raw = raw_read_rate(args)
    container = container_for(args)
    projections = list(container.projections.values())
    head = container.events.last_position()
    started = time.perf_counter()
    Rebuild(container.events, projections, restart=True).run()
    seconds = time.perf_counter() - started
    container.close()
    return {
        "models": len(projections), "events": head, "seconds": seconds,
        "events_per_second": head / seconds, "raw_rows_per_second": raw["rows_per_second"],
    }


def as_of_latency(args: argparse.Namespace, course: str, admin: str) -> dict[str, float]:
    from application.authorization import Principal

    container = container_for(args)
    entries = container.history.log_reader.aggregate(uuid.UUID(course))
    positions = [e.position for e in entries]
    principal = Principal(user_id=uuid.UUID(admin))
    rng = random.Random(7)
    for _ in range(20):  # warm caches, imports and connections
        container.time_travel.state_as_of(principal, course, str(rng.choice(positions)))
    timings = []
    for _ in range(300):
        started = time.perf_counter()
        container.time_travel.state_as_of(principal, course, str(rng.choice(positions)))
        timings.append(time.perf_counter() - started)
    container.close()
    timings.sort()
    return {
        "events": len(positions),
        "p50_ms": 1000 * timings[len(timings) // 2],
        "p99_ms": 1000 * timings[int(len(timings) * 0.99) - 1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--schema", default="")
    parser.add_argument("--keep", action="store_true", help="leave the seeded store in place")
    parser.add_argument("--skip", default="", help="comma-separated: export,http,replay,as_of")
    parser.add_argument("--child-export", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--format", default="ndjson", help=argparse.SUPPRESS)
    parser.add_argument("--after", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--out", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_export:
        export_once(args)
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench-history-"))
    args.data_dir = args.data_dir or str(tmp / "var")
    args.schema = args.schema or f"bench_{uuid.uuid4().hex[:8]}"
    skip = set(args.skip.split(","))
    print(f"backend {args.backend}, {args.events:,} events, data in {args.data_dir}", flush=True)
    store = args.schema if args.backend == "postgres" else "events"
    marker = Path(args.data_dir) / f"seeded-{args.backend}-{store}.json"
    if marker.exists():
        seeded = json.loads(marker.read_text())
        print(f"reusing the {seeded['head']:,} events seeded before", flush=True)
    else:
        seeded = seed(args)
        marker.write_text(json.dumps(seeded))
        print(f"seeded {seeded['head']:,} events in {seeded['seed_seconds']:.1f} s", flush=True)
    head = seeded["head"]
    print(f"audit chain caught up: {seeded['chain_events'] / seeded['chain_seconds']:,.0f} events/s", flush=True)
    raw = raw_read_rate(args)
    print(f"raw row read (server-side cursor): {raw['rows_per_second']:,.0f} rows/s", flush=True)
    if "export" not in skip:
        for fmt in ("ndjson", "parquet"):
            for after in (max(head - 100_000, 0), 0):
                r = export_in_child(args, fmt, after, tmp)
                print(
                    f"export {fmt:<7} {r['records']:>9,} events: {r['events_per_second']:>9,.0f} events/s,"
                    f" peak RSS {r['peak_rss_mb']:.0f} MB, first page after {r['first_page_ms']:.0f} ms",
                    flush=True,
                )
    if "http" not in skip:
        for r in http_export(args, (max(head - 100_000, 0), 0)):
            print(
                f"HTTP    ndjson {r['records']:>9,} events: {r['events_per_second']:>9,.0f} events/s,"
                f" server peak RSS {r['server_peak_rss_mb']:.0f} MB (after both)", flush=True,
            )
    if "as_of" not in skip:
        latency = as_of_latency(args, seeded["long_course"], seeded["admin"])
        print(
            f"as_of on a {latency['events']}-event course: p50 {latency['p50_ms']:.1f} ms,"
            f" p99 {latency['p99_ms']:.1f} ms", flush=True,
        )
    if "replay" not in skip:
        replay = replay_rate(args)
        print(
            f"replay of {replay['models']} built-in read models: {replay['events_per_second']:,.0f}"
            f" events/s ({replay['seconds']:.1f} s); raw row read just before:"
            f" {replay['raw_rows_per_second']:,.0f} rows/s", flush=True,
        )
    if not args.keep:
        if args.backend == "postgres":
            from tests.conftest import drop_schema

            drop_schema(args.schema)
        shutil.rmtree(args.data_dir, ignore_errors=True)
    for export in tmp.glob("export-*"):
        shutil.rmtree(export, ignore_errors=True) if export.is_dir() else export.unlink()
    if not any(tmp.iterdir()):
        tmp.rmdir()

if __name__ == "__main__":
    main()

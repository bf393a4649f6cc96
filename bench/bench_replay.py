"""Replay benchmark (issue 15): rebuilds and bulk loads at the speed of the database.

On one store (a history this script loads, or one ``--schema``/``--data-dir`` points to, such as
the one ``bench_content.py --keep`` leaves) it measures, and prints each figure beside the raw
row-read rate of the same run (the events table read with the driver: tuples, 5,000 a page),
which says how fast this machine is at that moment:

- ``load``: bulk loading content (``CourseImport.import_courses``, 50 course trees an append,
  timed until every read model has them; ``--load per-course``: ``create_course`` then
  ``import_outline`` for each course, from 8 threads), activities/s;
  then ``--learners`` learners' enrollments and completions (not timed), so every read model
  has its share of the history to rebuild;
- ``read``: the raw row-read rate;
- ``each``: every projection (or those ``--projections`` names) rebuilt alone (``Rebuild``), log events/s (wall and per CPU-second);
- ``replay``: ``learnstream replay`` of every read model, as a process: wall time and peak RSS;
- ``online``: course list and search p50/p99 while the catalog and search index are rebuilt
  beside the live tables (a follower loop running), against the same queries before;
- ``lag``: activity completions at ``--rate``/s: live projection lag p50/p99;
- ``lag_split`` (PostgreSQL): the same with the followers in a ``learnstream worker`` process
  (the production shape), the lag measured until this process hears the worker's commit;
- ``http``: course create through HTTP at 8 connections (a fresh ``learnstream serve``;
  ``bench_course_create.py``: wrk, or its own asyncio driver process without wrk).

    .venv/bin/python bench/bench_replay.py --backend postgres --courses 10000 --keep
    .venv/bin/python bench/bench_replay.py --backend postgres --schema bench_replay_0123abcd --data-dir /tmp/bench_replay_x
    .venv/bin/python bench/bench_replay.py --backend sqlite --courses 10000 --activities 20 --keep
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

PG_URL = os.environ.get("LEARNSTREAM_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
PHASES = ("load", "read", "each", "replay", "online", "lag", "lag_split", "http")
figures: list[tuple[str, str, str]] = []  # (what, figure, target)


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


def note(what: str, figure: str, target: str = "") -> None:
    figures.append((what, figure, target))
    print(f"{what}: {figure}" + (f"   [target {target}]" if target else ""), flush=True)


def store_env(backend: str, schema: str | None, data_dir: Path) -> dict[str, str]:
    env = {
        "LEARNSTREAM_DATA_DIR": str(data_dir),
        "LEARNSTREAM_ADMIN_EMAIL": "admin@example.com",
        "LEARNSTREAM_ADMIN_PASSWORD": "admin-password-1",
        "LEARNSTREAM_ARGON2_PROFILE": "test",
        "LEARNSTREAM_READ_YOUR_WRITES_TIMEOUT": "30",
        "LEARNSTREAM_JWT_SECRET": "bench-replay-secret-0123456789",
    }
    if backend == "postgres":
        env["LEARNSTREAM_DATABASE_URL"] = f"{PG_URL}?schema={schema}"
    return env


def raw_read(backend: str, schema: str | None, data_dir: Path) -> float:
    """Rows/s reading every entry of the events table with the driver alone."""
    start, n, after = time.perf_counter(), 0, 0
    if backend == "postgres":
        import psycopg

        with psycopg.connect(PG_URL) as conn:
            table = f'"{schema}".eventlog_events'
            while True:
                rows = conn.execute(
                    "SELECT notification_id, originator_id, originator_version, topic, state"
                    f" FROM {table} WHERE notification_id > %s ORDER BY notification_id LIMIT 5000", (after,),
                ).fetchall()
                if not rows:
                    break
                n, after = n + len(rows), rows[-1][0]
    else:
        with sqlite3.connect(data_dir / "events.sqlite3") as db:
            table = db.execute("SELECT name FROM sqlite_master WHERE name LIKE '%events' AND type = 'table'").fetchone()[0]
            while True:
                rows = db.execute(
                    f"SELECT rowid, originator_id, originator_version, topic, state FROM {table}"
                    " WHERE rowid > ? ORDER BY rowid LIMIT 5000", (after,),
                ).fetchall()
                if not rows:
                    break
                n, after = n + len(rows), rows[-1][0]
    return n / (time.perf_counter() - start)


def admin_of(container: Any) -> Any:
    from application.authorization import Principal

    row = container.identity.user_by_email("admin@example.com")
    return Principal(user_id=uuid.UUID(row["user_uuid"]))


def phase_each(container: Any, read_rate: float, only: set[str]) -> None:
    from projections.engine.rebuild import Rebuild

    head = container.events.last_position()
    for name, projection in container.projections.items():
        if only and name not in only:
            continue
        t, c = time.perf_counter(), cpu()
        Rebuild(container.events, [projection], restart=True).run()
        wall, used = time.perf_counter() - t, cpu() - c
        note(f"rebuild {name}", f"{head / wall:,.0f} events/s ({wall:.1f} s; {head / max(used, 1e-9):,.0f} per CPU-second;"
             f" raw read {read_rate:,.0f} rows/s)", ">= 20,000 events/s")


#: run argv[1:], its output to /dev/null, and print its CPU seconds and peak RSS (KB) as JSON
WAIT_FOR_USAGE = """
import json, os, subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
child.returncode = os.waitstatus_to_exitcode(status)
print(json.dumps([usage.ru_utime + usage.ru_stime, usage.ru_maxrss]))
sys.exit(child.returncode)
"""


def tree_rss_kb(root: int) -> tuple[int, int]:
    """(sum, largest) of the resident memory of the descendants of ``root``, in KB (Linux)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        grew = bool(more)
        tree |= more
    sizes = []
    for pid in tree - {root}:
        try:
            with open(f"/proc/{pid}/status") as f:
                sizes += [int(line.split()[1]) for line in f if line.startswith("VmRSS:")]
        except OSError:
            continue
    return sum(sizes), max(sizes, default=0)


def phase_replay(env: dict[str, str], head: int, read_rate: float) -> None:
    from api.replay_jobs import default_jobs
    from tests.e2e.server_process import clean_environ, learnstream_command

    # The replay's own usage, taken by a small process that starts it and waits for it
    # (``wait4``): RUSAGE_CHILDREN's peak is the largest child's ever, and a child spawned
    # from this process directly counts this process's memory as its own (Linux keeps the
    # peak of the memory a process had before its exec). With several processes (``--jobs``)
    # the memory of all of them together is sampled from /proc as well.
    peak = [0, 0]
    with tempfile.TemporaryFile() as errors:
        t = time.perf_counter()
        waiter = subprocess.Popen(
            [sys.executable, "-c", WAIT_FOR_USAGE, *learnstream_command(), "replay"],
            env=clean_environ(env), stdout=subprocess.PIPE, stderr=errors, text=True,
        )
        while waiter.poll() is None:
            total, largest = tree_rss_kb(waiter.pid)
            peak = [max(peak[0], total), max(peak[1], largest)]
            time.sleep(0.05)
        out = waiter.stdout.read() if waiter.stdout else ""
        wall = time.perf_counter() - t
        if waiter.returncode != 0:
            errors.seek(0)
            raise RuntimeError(errors.read()[-2000:].decode(errors="replace"))
    cpu, max_rss_kb = json.loads(out.strip().splitlines()[-1])
    jobs = default_jobs()
    note(f"learnstream replay (all read models, {jobs} process{'es' if jobs > 1 else ''})",
         f"{wall:.1f} s, {head / wall:,.0f} events/s (process CPU {cpu:.1f} s; raw read {read_rate:,.0f} rows/s)",
         "<= 30 s (PostgreSQL)")
    note("learnstream replay peak RSS", f"{max(peak[0], max_rss_kb) / 1024:.0f} MB, all processes together"
         f" (sampled; the largest process {max(max_rss_kb, peak[1]) / 1024:.0f} MB)", "< 300 MB")


def timed_reads(container: Any, admin: Any, rng: random.Random, until: Any) -> tuple[list[float], list[float]]:
    from application.authorization import ANONYMOUS

    words = ["python", "rust", "databases", "history", "music", "design", "finance", "physics"]
    lists: list[float] = []
    searches: list[float] = []
    cache = container.identity.cache
    while not until():
        cache.clear()
        t = time.perf_counter()
        container.catalog.list_courses(admin, "default", rng.randint(1, 20), 20)
        lists.append(time.perf_counter() - t)
        cache.clear()
        word = rng.choice(words)
        t = time.perf_counter()
        container.search.courses(ANONYMOUS, "default", word[: rng.randint(3, len(word))], 1, 10)
        searches.append(time.perf_counter() - t)
    return lists, searches


def phase_online(container: Any, read_rate: float) -> None:
    from projections.engine.rebuild import Rebuild
    from projections.engine.rebuild_state import FOLLOWER

    admin, rng = admin_of(container), random.Random(3)
    stop_at = time.perf_counter() + 10
    lists, searches = timed_reads(container, admin, rng, lambda: time.perf_counter() > stop_at)
    note("course list, no rebuild", f"p50 {pct(lists, .5):.1f} ms, p99 {pct(lists, .99):.1f} ms (n={len(lists)})")
    note("search, no rebuild", f"p50 {pct(searches, .5):.1f} ms, p99 {pct(searches, .99):.1f} ms (n={len(searches)})")
    rebuilding = [container.projections["catalog"], container.projections["search"]]
    done = threading.Event()
    took: list[float] = []

    def rebuild() -> None:
        t = time.perf_counter()
        try:
            # as a version bump runs it: in the serving process's follower loop
            Rebuild(container.events, rebuilding, kind=FOLLOWER, restart=True).run()
        finally:
            took.append(time.perf_counter() - t)
            done.set()

    threading.Thread(target=rebuild, daemon=True).start()
    lists, searches = timed_reads(container, admin, rng, done.is_set)
    note("catalog + search rebuilt beside the live tables", f"{took[0]:.1f} s (raw read {read_rate:,.0f} rows/s)")
    note("course list during the rebuild", f"p50 {pct(lists, .5):.1f} ms, p99 {pct(lists, .99):.1f} ms (n={len(lists)})")
    note("search during the rebuild", f"p50 {pct(searches, .5):.1f} ms, p99 {pct(searches, .99):.1f} ms (n={len(searches)})")


def phase_lag(container: Any, rate: float, seconds: float, concurrency: int) -> None:
    import bench_content

    rows = container.read_store.fetchall(f"SELECT course_uuid FROM {container.projections['catalog'].table('courses')} LIMIT 2000")
    uuids = [f"course_{r['course_uuid']}" for r in rows]
    print(f"live lag at {rate:.0f} commands/s (bench_content's completions):", flush=True)
    reached, p50, p99 = bench_content.bench_completions(container, uuids, rate, seconds, concurrency)
    note(f"live projection lag, activity completions at {rate:.0f}/s asked ({concurrency} concurrent)",
         f"p50 {p50:.1f} ms, p99 {p99:.1f} ms at {reached:,.0f} completions/s reached", "p99 <= 50 ms at 500/s")


def phase_lag_split(env: dict[str, str], rate: float, seconds: float, concurrency: int) -> None:
    """``lag`` in the production shape: the followers in a ``learnstream worker`` process, the
    commands in this one (as an API process with ``LEARNSTREAM_RUN_FOLLOWERS=0``), which hears
    the worker's positions as it commits."""
    import bench_content
    import bench_foundation

    from api.bootstrap import Container
    from api.cli import _wait_for_workers
    from infrastructure.settings import Settings

    log = open(Path(env["LEARNSTREAM_DATA_DIR"]) / "bench-lag-worker.log", "wb")  # noqa: SIM115
    worker = subprocess.Popen([*bench_foundation.learnstream(), "worker"], env={**os.environ, **env},
                              stdout=log, stderr=subprocess.STDOUT)
    container = Container.build(Settings.from_env({**env, "LEARNSTREAM_RUN_FOLLOWERS": "0"}))
    try:
        container.share_positions(tell=False)
        _wait_for_workers(container)
        rows = container.read_store.fetchall(f"SELECT course_uuid FROM {container.projections['catalog'].table('courses')} LIMIT 2000")
        print(f"live lag at {rate:.0f} commands/s, followers in a worker process:", flush=True)
        reached, p50, p99 = bench_content.bench_completions(
            container, [f"course_{r['course_uuid']}" for r in rows], rate, seconds, concurrency)
        note(f"live projection lag, worker process, activity completions at {rate:.0f}/s asked ({concurrency} concurrent)",
             f"p50 {p50:.1f} ms, p99 {p99:.1f} ms at {reached:,.0f} completions/s reached", "p99 <= 50 ms at 500/s")
    finally:
        container.close()
        bench_foundation.terminate(worker)
        log.close()


def phase_http(backend: str, seconds: int) -> None:
    import bench_course_create

    r = bench_course_create.measure(backend, 8, seconds)
    rate = float(r["requests"]) / float(r["seconds"])  # type: ignore[arg-type]
    note(f"course create over HTTP, 8 connections ({r['client']})",
         f"{rate:,.0f}/s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, load average {r['load_average']:.1f}",
         ">= 1,000/s (PostgreSQL)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--schema", help="PostgreSQL: an existing history's schema (kept; with its --data-dir)")
    parser.add_argument("--data-dir", help="an existing history's data dir (kept): SQLite's files, and on both"
                        " backends the key that seals personal keys")
    parser.add_argument("--courses", type=int, default=10_000)
    parser.add_argument("--activities", type=int, default=20)
    parser.add_argument("--load", choices=("bulk", "per-course"), default="bulk",
                        help="load: import_courses (50 course trees an append), or a course at a time")
    parser.add_argument("--load-threads", type=int, default=8, help="--load per-course: threads")
    parser.add_argument("--learners", type=int, default=None,
                        help="load: learners who then enroll in 4 courses each and complete activities"
                        " (default: one per 10 courses), so every read model has events to rebuild")
    parser.add_argument("--phases", default=",".join(PHASES))
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32, help="lag: learners completing at once")
    parser.add_argument("--keep", action="store_true", help="keep a history this run loaded")
    parser.add_argument("--projections", default="", help="each: only these read models (comma-separated names)")
    args = parser.parse_args()
    if args.learners is None:
        args.learners = args.courses // 10
    phases = set(args.phases.split(","))
    from api.bootstrap import Container
    from infrastructure.settings import Settings

    given = args.schema or args.data_dir
    if args.backend == "postgres" and bool(args.schema) != bool(args.data_dir):
        parser.error("an existing PostgreSQL history needs both --schema and --data-dir (its sealing key)")
    schema = args.schema or ("bench_replay_" + uuid.uuid4().hex[:8] if args.backend == "postgres" else None)
    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="bench_replay_"))
    env = store_env(args.backend, schema, data_dir)
    container = Container.build(Settings.from_env(env))
    gc.freeze()  # as ``learnstream serve`` and ``replay`` do once their container is built
    try:
        if not given:
            import bench_content

            container.start_followers()
            container.bootstrap()
            import bench_course_create

            pg_pids = bench_course_create.postgres_pids() if args.backend == "postgres" else []
            pg_before, own_before = bench_course_create.cpu_by_role({"pg": pg_pids})["pg"], cpu()
            t = time.perf_counter()
            activities = args.courses * args.activities
            if args.load == "bulk":
                uuids = bench_content.bulk_load(container, admin_of(container), args.courses, args.activities)
                label = "bulk content load (import_courses, every read model caught up)"
            else:
                uuids = bench_content.load(container, admin_of(container), args.courses, args.activities, args.load_threads)
                label = "content load, a course at a time (create_course + import_outline)"
            loaded = activities / (time.perf_counter() - t)
            note(label, f"{loaded:,.0f} activities/s", ">= 5,000/s (PostgreSQL)")
            own = (cpu() - own_before) / activities * 1e6
            pg = (bench_course_create.cpu_by_role({"pg": pg_pids})["pg"] - pg_before) / activities * 1e6
            note("bulk load CPU per activity", f"this process {own:,.0f} µs, PostgreSQL {pg:,.0f} µs")
            if args.learners:
                t = time.perf_counter()
                appended = bench_content.learn(container, admin_of(container), uuids, args.learners)
                print(f"learners: {args.learners} learners' enrollments and completions, {appended} events"
                      f" in {time.perf_counter() - t:.1f}s", flush=True)
            if container.loop is not None:
                container.loop.stop()
            container.loop = None  # the phases below start followers again when they need them
        head = container.events.last_position()
        read_rate = raw_read(args.backend, schema, data_dir)
        note("raw row read", f"{read_rate:,.0f} rows/s ({head} entries, {args.backend}, load average {os.getloadavg()[0]:.1f})")
        if "each" in phases:
            phase_each(container, read_rate, {n for n in args.projections.split(",") if n})
        if "replay" in phases:
            container.close()
            phase_replay(env, head, read_rate)
            container = Container.build(Settings.from_env(env))
        if "online" in phases or "lag" in phases:
            if container.loop is None:
                container.start_followers()
            if "online" in phases:
                phase_online(container, read_rate)
            if "lag" in phases:
                phase_lag(container, args.rate, args.seconds, args.concurrency)
        if "lag_split" in phases and args.backend == "postgres":
            container.close()
            phase_lag_split(env, args.rate, args.seconds, args.concurrency)
            container = Container.build(Settings.from_env(env))
        if "http" in phases:
            phase_http(args.backend, 10)
    finally:
        container.close()
        if not given and not args.keep:
            if schema is not None:
                import bench_foundation

                bench_foundation.drop_schema(schema)
            import shutil

            shutil.rmtree(data_dir, ignore_errors=True)
        elif not given:
            print(f"kept: {'--schema ' + schema + ' ' if schema else ''}--data-dir {data_dir}")
    print("\nsummary")
    for what, figure, target in figures:
        print(f"  {what:<48} {figure}" + (f"  [target {target}]" if target else ""))


if __name__ == "__main__":
    main()

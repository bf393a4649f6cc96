"""Assessment benchmark: concurrent sessions answering on a real ``learnstream serve`` process.

Starts one server (PostgreSQL in a fresh schema by default, the offline evaluator), registers
N users, starts one ``thorough`` session each, then every user answers in a loop for the given
time (a finished session is replaced by a new one). With ``--think`` (mean seconds between a
learner's answers) the first answers are spread over that time, as a population of learners
already mid-session would send them; ``--think 0`` is a closed loop. It prints the ``respond``
time to first byte (first SSE body byte, after the headers), answers per second, and the bytes
of events and of checkpoint stored per answered question.

    .venv/bin/python bench/bench_assessment.py [--backend postgres|sqlite] [--sessions 100]
        [--seconds 20] [--think 2]

With ``--results`` it measures the results instead (``bench_assessment_results.py``): report
latency on completed sessions, the first call and later calls apart, and the offline materials
pipeline's time from ``AssessmentCompleted`` to ``MaterialsReady`` for ten gap concepts:

    .venv/bin/python bench/bench_assessment.py --results [--backend ...] [--sessions 20]
        [--later-calls 1000]

The load generator is Python on the same two cores as the server: the figures are a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench_foundation import PG_URL, free_port, learnstream
from serve_process import terminate, wait_until_healthy

#: mean seconds a learner takes between two answers (0: answer again at once)
THINK = [0.0]
ANSWERS = [
    "HTTP status codes say what happened: 200 ok, 201 created, 404 not found, 500 server error.",
    "I would use an index on the columns in the WHERE clause and check the query plan.",
    "Not sure. I think it depends on the cache and the retries, and on idempotency keys.",
]


def launch(backend: str, workdir: Path) -> tuple[subprocess.Popen[bytes], str, str | None]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEARNSTREAM_")}
    env.update(LEARNSTREAM_DATA_DIR=str(workdir / "var"), LEARNSTREAM_RATE_LIMIT_ENABLED="0",
               LEARNSTREAM_JWT_SECRET="bench-" + uuid.uuid4().hex,
               # Registration is set-up here, not what is measured.
               LEARNSTREAM_ARGON2_PROFILE="test")
    schema = None
    if backend == "postgres":
        schema = "bench_" + uuid.uuid4().hex[:10]
        env["LEARNSTREAM_DATABASE_URL"] = f"{PG_URL}?schema={schema}"
    port = free_port()
    log_path = workdir / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([*learnstream(), "serve", "--host", "127.0.0.1", "--port", str(port)],
                                env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_until_healthy(proc, base, log_path.read_text)
    return proc, base, schema


async def user(base: str, n: int, go: asyncio.Event, ready: list[int], deadline: list[float],
               ttfb: list[float], done: list[int]) -> None:
    limits = httpx.Limits(max_connections=1)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        r = await http.post("/api/auth/register",
                            json={"email": f"bench{n}@example.com", "password": "password-123"})
        r.raise_for_status()
        session: str | None = await start(http)
        ready.append(1)
        await go.wait()
        if THINK[0]:
            # Learners are mid-session, each at their own point, as in a live population: the
            # first answers are spread over one think time instead of all landing at once (a
            # burst of every session in the same millisecond is not what is measured here).
            await asyncio.sleep(random.uniform(0.0, 2.0) * THINK[0])
        turn = n
        while time.monotonic() < deadline[0]:
            if session is None:
                session = await start(http)
            t0 = time.perf_counter()
            async with http.stream("POST", f"/api/assessment/{session}/respond",
                                   json={"response": ANSWERS[turn % len(ANSWERS)]}) as response:
                first = None
                body = b""
                async for chunk in response.aiter_raw():
                    if first is None:
                        first = time.perf_counter() - t0
                    body += chunk
            turn += 1
            if response.status_code != 200 or b"[ERROR]" in body:
                raise RuntimeError(f"respond failed: {response.status_code} {body[:200]!r}")
            assert first is not None
            ttfb.append(first)
            done.append(1)
            if b"[ASSESSMENT_COMPLETE]" in body:
                session = None
            if THINK[0]:
                await asyncio.sleep(random.uniform(0.5, 1.5) * THINK[0])  # the learner types


async def start(http: httpx.AsyncClient) -> str:
    started = await http.post("/api/assessment/start", json={
        "skillIds": ["python", "sql"], "thoroughness": "thorough"})
    started.raise_for_status()
    return str(started.json()["sessionId"])


def stored_bytes(schema: str | None, workdir: Path) -> tuple[int, int]:
    """(bytes of assessment events, bytes of checkpoint rows)."""
    if schema is None:
        import sqlite3

        events = sqlite3.connect(str(workdir / "var" / "events.sqlite3"))
        ev = events.execute("SELECT COALESCE(SUM(length(state)), 0) FROM stored_events"
                            " WHERE topic LIKE 'domain.assessment:%'").fetchone()[0]
        cps = sqlite3.connect(str(workdir / "var" / "checkpoints.sqlite3"))
        cp = cps.execute("SELECT COALESCE(SUM(length(checkpoint) + length(metadata)), 0)"
                         " FROM checkpoints").fetchone()[0]
        cp += cps.execute("SELECT COALESCE(SUM(length(value)), 0) FROM writes").fetchone()[0]
        return int(ev), int(cp)
    import psycopg

    from infrastructure.settings import PostgresDsn

    dsn = PostgresDsn.parse(PG_URL)
    with psycopg.connect(dsn.conninfo(), options=f"-c search_path={schema}") as conn:
        table = conn.execute("SELECT table_name FROM information_schema.tables WHERE"
                             " table_schema = %s AND table_name LIKE '%%events'",
                             (schema,)).fetchone()[0]
        ev = conn.execute(f"SELECT COALESCE(SUM(octet_length(state)), 0) FROM {table}"
                          " WHERE topic LIKE 'domain.assessment:%%'").fetchone()[0]
        cp = conn.execute(
            "SELECT (SELECT COALESCE(SUM(pg_column_size(checkpoint) + pg_column_size(metadata)), 0)"
            " FROM checkpoints) + (SELECT COALESCE(SUM(octet_length(blob)), 0) FROM checkpoint_blobs)"
            " + (SELECT COALESCE(SUM(octet_length(blob)), 0) FROM checkpoint_writes)").fetchone()[0]
    return int(ev), int(cp)


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process (all its threads) has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


async def drive(base: str, sessions: int, seconds: float,
                pid: int) -> tuple[list[float], int, float, float]:
    ttfb: list[float] = []
    done: list[int] = []
    ready: list[int] = []
    deadline: list[float] = []
    go = asyncio.Event()
    tasks = [asyncio.create_task(user(base, n, go, ready, deadline, ttfb, done))
             for n in range(sessions)]
    while len(ready) < sessions:
        for task in tasks:
            if task.done() and task.exception():
                raise task.exception()  # type: ignore[misc]
        await asyncio.sleep(0.1)
    start_at = time.monotonic()
    cpu_at = cpu_seconds(pid)
    deadline.append(start_at + seconds)
    go.set()
    await asyncio.gather(*tasks)
    return ttfb, len(done), time.monotonic() - start_at, cpu_seconds(pid) - cpu_at


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="postgres", choices=["postgres", "sqlite"])
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--think", type=float, default=2.0,
                        help="mean seconds between a learner's answers (0: closed loop)")
    parser.add_argument("--results", action="store_true",
                        help="measure reports and materials instead of answers")
    parser.add_argument("--later-calls", type=int, default=1000)
    args = parser.parse_args()
    if args.results:
        return results(args.backend, min(args.sessions, 100), args.later_calls)
    THINK[0] = args.think
    with tempfile.TemporaryDirectory(prefix="bench-assessment-") as tmp:
        workdir = Path(tmp)
        proc, base, schema = launch(args.backend, workdir)
        try:
            ttfb, answered, elapsed, cpu = asyncio.run(
                drive(base, args.sessions, args.seconds, proc.pid))
            events, checkpoints = stored_bytes(schema, workdir)
        finally:
            terminate(proc)
            if schema is not None:
                from bench_foundation import drop_schema

                drop_schema(schema)
    print(f"backend={args.backend} sessions={args.sessions} think={args.think}s"
          f" answered={answered} in {elapsed:.1f}s")
    print(f"respond time to first byte: p50 {pct(ttfb, 0.50):.1f} ms  p95 {pct(ttfb, 0.95):.1f} ms"
          f"  p99 {pct(ttfb, 0.99):.1f} ms  max {max(ttfb) * 1000:.1f} ms"
          f"  mean {statistics.mean(ttfb) * 1000:.1f} ms")
    print(f"answers/s: {answered / elapsed:.0f}  server CPU per answer:"
          f" {cpu / answered * 1000:.1f} ms (all its threads)")
    print(f"bytes per answered question: events {events / answered:.0f}"
          f", checkpoint {checkpoints / answered:.0f}")
    return 0


def results(backend: str, sessions: int, later_calls: int) -> int:
    from bench_assessment_results import line, materials_times, measure

    with tempfile.TemporaryDirectory(prefix="bench-results-") as tmp:
        workdir = Path(tmp)
        proc, base, schema = launch(backend, workdir)
        try:
            got = asyncio.run(measure(base, sessions, later_calls))
            ready, concepts = materials_times(schema, workdir, PG_URL)
        finally:
            terminate(proc)
            if schema is not None:
                from bench_foundation import drop_schema

                drop_schema(schema)
    print(f"backend={backend} completed sessions={sessions} gaps per report:"
          f" {min(got['gaps'])}-{max(got['gaps'])}")
    print(line("report, first call (writes and records it)", got["first"]))
    print(line("report, later calls (the recorded bytes)", got["later"]))
    print(line("graph of the same sessions, interleaved (for comparison)", got["graph"]))
    print(line(f"materials, AssessmentCompleted -> MaterialsReady ({min(concepts)}-{max(concepts)}"
               " concepts, offline)", ready))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Foundation benchmark: the real ``learnstream serve`` process, measured over loopback HTTP.

For each backend (SQLite file, then PostgreSQL in a fresh schema) it starts one server process,
then measures
  * course creation (multipart POST, read-your-writes included) at concurrency 8: with wrk
    when it is installed (a C client, so the figure is the server's), then with httpx, which
    also loads the org with ``--courses`` more courses;
  * the course list page (20 items) at concurrency 1 and 16: req/s, p50 and p99 latency.

    .venv/bin/python bench/bench_foundation.py [--backends sqlite,postgres] [--courses 1000]

Not a test: it prints a table. The load generator runs on the same machine (and cores) as the
server, so the figures are a floor for what the server alone could do; when ``wrk`` is
installed the list page is also driven by it (a C client that costs far less CPU).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from serve_process import terminate, wait_until_healthy

ADMIN_EMAIL = "bench@example.com"
ADMIN_PASSWORD = "bench-password-1"
PG_URL = os.environ.get("LEARNSTREAM_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
LIST_PATH = "/api/v1/courses/org_slug/default/page/1/limit/20"


@dataclass
class Result:
    backend: str
    scenario: str
    concurrency: int
    requests: int
    seconds: float
    latencies: list[float]
    client: str = "httpx"
    #: set when an external tool measured the percentiles itself (ms)
    p50_ms: float | None = None
    p99_ms: float | None = None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        if p == 50 and self.p50_ms is not None:
            return self.p50_ms
        if p == 99 and self.p99_ms is not None:
            return self.p99_ms
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def learnstream() -> list[str]:
    script = Path(sys.executable).parent / "learnstream"
    return [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]


@dataclass
class Served:
    """The processes a benchmark drives: API base URLs, and process ids by role."""

    bases: list[str]
    pids: dict[str, list[int]]


@contextmanager
def server(backend: str, workdir: Path) -> Iterator[str]:
    """One ``learnstream serve`` (the API and every follower) on a fresh store."""
    with servers(backend, workdir) as served:
        yield served.bases[0]


@contextmanager
def servers(backend: str, workdir: Path, api_processes: int = 0) -> Iterator[Served]:
    """``api_processes`` 0: one ``learnstream serve`` with its followers (the embedded shape).
    N: the production shape on PostgreSQL, one ``learnstream worker`` and N API processes
    (``serve`` with ``LEARNSTREAM_RUN_FOLLOWERS=0``), each on a port of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEARNSTREAM_")}
    env.update(
        LEARNSTREAM_DATA_DIR=str(workdir / "var"),
        LEARNSTREAM_ADMIN_EMAIL=ADMIN_EMAIL,
        LEARNSTREAM_ADMIN_PASSWORD=ADMIN_PASSWORD,
        LEARNSTREAM_JWT_SECRET="bench-" + uuid.uuid4().hex,
        # One client hammering one token is exactly what the per-credential limits stop.
        LEARNSTREAM_RATE_LIMIT_ENABLED="0",
    )
    schema = None
    if backend == "postgres":
        schema = "bench_" + uuid.uuid4().hex[:10]
        env["LEARNSTREAM_DATABASE_URL"] = f"{PG_URL}?schema={schema}"
    elif api_processes:
        raise ValueError("several API processes share a store on PostgreSQL only")
    procs: list[tuple[str, subprocess.Popen[bytes], Path]] = []

    def start(role: str, args: list[str], extra: dict[str, str]) -> subprocess.Popen[bytes]:
        log_path = workdir / f"{role}-{len(procs)}-{backend}.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen([*learnstream(), *args], env={**env, **extra}, stdout=log, stderr=subprocess.STDOUT)
        procs.append((role, proc, log_path))
        return proc

    try:
        if api_processes:
            start("worker", ["worker"], {})
        bases = []
        for _ in range(max(api_processes, 1)):
            port = free_port()
            proc = start("api", ["serve", "--host", "127.0.0.1", "--port", str(port)],
                         {"LEARNSTREAM_RUN_FOLLOWERS": "0"} if api_processes else {})
            base = f"http://127.0.0.1:{port}"
            wait_until_healthy(proc, base, lambda p=procs[-1][2]: p.read_text())  # type: ignore[misc]
            bases.append(base)
        pids: dict[str, list[int]] = {}
        for role, proc, _ in procs:
            pids.setdefault(role, []).append(proc.pid)
        yield Served(bases, pids)
    finally:
        for _, proc, _ in reversed(procs):
            terminate(proc)
        if schema is not None:
            drop_schema(schema)


def drop_schema(schema: str) -> None:
    import psycopg
    from psycopg import sql

    from infrastructure.settings import PostgresDsn

    with psycopg.connect(PostgresDsn.parse(PG_URL).conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


async def run(
    concurrency: int, total: int, request: Callable[[httpx.AsyncClient, int], Awaitable[None]],
    base: str, headers: dict[str, str],
) -> tuple[float, list[float]]:
    """``total`` requests from ``concurrency`` workers; wall time and per-request latencies."""
    latencies: list[float] = []
    counter = iter(range(total))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as c:

        async def worker() -> None:
            for i in counter:
                started = time.perf_counter()
                await request(c, i)
                latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - began, latencies


async def create_course(c: httpx.AsyncClient, i: int) -> None:
    form = {
        "name": f"Bench course {i}",
        "description": "A beginner-friendly Python course",
        "about": "Learn Python from scratch.",
        "public": "true",
    }
    response = await c.post("/api/v1/courses/?org_id=1", files={k: (None, v) for k, v in form.items()})
    if response.status_code != 200:
        raise RuntimeError(f"create failed: {response.status_code} {response.text}")


async def list_page(c: httpx.AsyncClient, _: int) -> None:
    response = await c.get(LIST_PATH)
    if response.status_code != 200 or len(response.json()) != 20:
        raise RuntimeError(f"list failed: {response.status_code} {response.text[:200]}")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip()).groups()  # type: ignore[union-attr]
    return float(value) * _UNITS[unit]


CREATE_LUA = Path(__file__).with_name("create_course.lua")


def wrk(
    url: str, token: str, concurrency: int, seconds: int, scenario: str, script: Path | None = None
) -> Result | None:
    """Driven by wrk (C, one thread): the client costs the server little CPU. None without wrk."""
    if shutil.which("wrk") is None:
        return None
    extra = ["-s", str(script)] if script is not None else []
    out = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--latency", *extra,
         "-H", f"Authorization: Bearer {token}", url],
        capture_output=True, text=True, check=True,
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    elapsed = _ms(re.search(r"requests in ([\d.]+\w+),", out).group(1)) / 1000  # type: ignore[union-attr]
    # Anchored: "75.50%" in the thread stats' Stdev column must not pass for the 50th percentile.
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    return Result("", scenario, concurrency, total, elapsed, [], "wrk", p50, p99)


def course_count(base: str, headers: dict[str, str], slug: str) -> int:
    response = httpx.get(base + f"/api/v1/courses/org_slug/{slug}/count", headers=headers, timeout=60)
    response.raise_for_status()
    return int(response.json())


def new_org(base: str, headers: dict[str, str], slug: str) -> int:
    body = {"name": slug.title(), "slug": slug, "email": f"{slug}@example.com"}
    response = httpx.post(base + "/api/v1/orgs/", json=body, headers=headers, timeout=60)
    response.raise_for_status()
    return int(response.json()["id"])


def bench_backend(
    backend: str, courses: int, list_requests: int, wrk_seconds: int, workdir: Path
) -> list[Result]:
    results = []
    with server(backend, workdir) as base:
        login = httpx.post(
            base + "/api/v1/auth/login",
            data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, timeout=60,
        )
        login.raise_for_status()
        token = login.json()["tokens"]["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        # wrk's creates go to an org of their own: org ``default`` keeps exactly ``courses``.
        org_id = new_org(base, headers, "create-bench")
        url = base + f"/api/v1/courses/?org_id={org_id}"
        measured = wrk(url, token, 8, wrk_seconds, "course create", CREATE_LUA)
        if measured is not None:
            measured.backend = backend
            results.append(measured)
            made = course_count(base, headers, "create-bench")
            # Every answered request made a course; up to one per connection was still in
            # flight when wrk stopped counting.
            assert measured.requests <= made <= measured.requests + 8, (made, measured.requests)
        seconds, latencies = asyncio.run(run(8, courses, create_course, base, headers))
        results.append(Result(backend, "course create", 8, courses, seconds, latencies))
        assert course_count(base, headers, "default") == courses

        asyncio.run(run(4, 200, list_page, base, headers))  # warm-up
        for concurrency in (1, 16):
            n = list_requests if concurrency > 1 else max(200, list_requests // 4)
            seconds, latencies = asyncio.run(run(concurrency, n, list_page, base, headers))
            results.append(Result(backend, "list page of 20", concurrency, n, seconds, latencies))
        for concurrency in (1, 16):
            measured = wrk(base + LIST_PATH, token, concurrency, wrk_seconds, "list page of 20")
            if measured is not None:
                measured.backend = backend
                results.append(measured)
    return results


def print_table(results: list[Result], courses: int) -> None:
    print(f"\nlearnstream foundation benchmark ({os.cpu_count()} cores, {courses} courses)")
    print(f"{'backend':<9} {'scenario':<16} {'client':<6} {'conc':>4} {'requests':>8}"
          f" {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for r in results:
        print(f"{r.backend:<9} {r.scenario:<16} {r.client:<6} {r.concurrency:>4} {r.requests:>8}"
              f" {r.rate:>8.0f} {r.percentile(50):>8.1f} {r.percentile(99):>8.1f}")
    mean = statistics.fmean
    for r in results:
        if r.scenario == "course create" and r.latencies:
            print(f"{r.backend}: mean create latency (httpx) {mean(r.latencies) * 1000:.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--courses", type=int, default=1000)
    parser.add_argument("--list-requests", type=int, default=4000)
    parser.add_argument("--wrk-seconds", type=int, default=10, help="per wrk run (if installed)")
    args = parser.parse_args()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="learnstream-bench-") as tmp:
        for backend in args.backends.split(","):
            try:
                results += bench_backend(
                    backend, args.courses, args.list_requests, args.wrk_seconds, Path(tmp)
                )
            except (OSError, RuntimeError) as exc:
                print(f"{backend}: skipped ({exc})", file=sys.stderr)
    print_table(results, args.courses)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Health probe benchmark: ``GET /api/health`` beside the course list page, on a real server.

For each backend (SQLite file, then PostgreSQL in a fresh schema) it starts one
``learnstream serve`` process, creates 20 courses, then drives both routes with wrk at 16
connections and prints req/s, p50 and p99. A health probe should cost less than the cheapest
real read: load balancers and orchestrators call it all the time.

    .venv/bin/python bench/bench_health.py [--backends sqlite,postgres] [--seconds 10]

Needs ``wrk`` (a C client, so the figures are the server's, not the load generator's). The
client still shares the machine's cores with the server: the figures are a floor.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import httpx
from bench_foundation import ADMIN_EMAIL, ADMIN_PASSWORD, LIST_PATH, Result, server, wrk

CONCURRENCY = 16


def add_courses(base: str, headers: dict[str, str], count: int) -> None:
    for i in range(count):
        form = {"name": f"Health bench {i}", "description": "d", "about": "a", "public": "true"}
        response = httpx.post(
            base + "/api/v1/courses/?org_id=1", files={k: (None, v) for k, v in form.items()},
            headers=headers, timeout=60,
        )
        response.raise_for_status()


def bench_backend(backend: str, seconds: int, workdir: Path) -> list[Result]:
    results = []
    with server(backend, workdir) as base:
        login = httpx.post(
            base + "/api/v1/auth/login",
            data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, timeout=60,
        )
        login.raise_for_status()
        token = login.json()["tokens"]["access_token"]
        add_courses(base, {"Authorization": f"Bearer {token}"}, 20)
        for scenario, path in (("health", "/api/health"), ("list page of 20", LIST_PATH)):
            wrk(base + path, token, CONCURRENCY, 2, scenario)  # warm-up
            measured = wrk(base + path, token, CONCURRENCY, seconds, scenario)
            assert measured is not None
            measured.backend = backend
            results.append(measured)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--seconds", type=int, default=10, help="per wrk run")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="learnstream-bench-") as tmp:
        for backend in args.backends.split(","):
            try:
                results += bench_backend(backend, args.seconds, Path(tmp))
            except (OSError, RuntimeError) as exc:
                print(f"{backend}: skipped ({exc})", file=sys.stderr)
    print(f"\nGET /api/health against the course list page (wrk, {CONCURRENCY} connections)")
    print(f"{'backend':<9} {'route':<16} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for r in results:
        print(f"{r.backend:<9} {r.scenario:<16} {r.requests:>8} {r.rate:>8.0f}"
              f" {r.percentile(50):>8.1f} {r.percentile(99):>8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

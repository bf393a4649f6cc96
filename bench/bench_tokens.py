"""API token benchmark.

1. The real ``learnstream serve`` process (SQLite by default, or PostgreSQL): the course list
   page of 20 at concurrency 16, authenticated with a user JWT and with an ``lh_`` API token,
   in alternating rounds (so drift on a shared machine hits both alike). The rate limiter is
   on (in-process backend, limits set far above the load) so both paths pay for it.
2. Rate limiter decisions/s on Redis (one Lua call per decision, two buckets per decision as
   the middleware asks), sequential and with 16 concurrent asyncio callers; and in process.

    .venv/bin/python bench/bench_tokens.py [--backend sqlite|postgres] [--requests 3000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from serve_process import terminate, wait_until_healthy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infrastructure.rate_limit import Limit, MemoryRateLimiter, RedisRateLimiter

ADMIN_EMAIL = "bench@example.com"
ADMIN_PASSWORD = "bench-password-1"
PG_URL = os.environ.get("LEARNSTREAM_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("LEARNSTREAM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
LIST_PATH = "/api/v1/courses/org_slug/default/page/1/limit/20"
HIGH = "100000000/60"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(backend: str, workdir: Path) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEARNSTREAM_")}
    env.update(
        LEARNSTREAM_DATA_DIR=str(workdir / "var"),
        LEARNSTREAM_ADMIN_EMAIL=ADMIN_EMAIL,
        LEARNSTREAM_ADMIN_PASSWORD=ADMIN_PASSWORD,
        LEARNSTREAM_JWT_SECRET="bench-" + uuid.uuid4().hex,
        LEARNSTREAM_RATE_LIMIT_READ=HIGH,
        LEARNSTREAM_RATE_LIMIT_WRITE=HIGH,
        LEARNSTREAM_RATE_LIMIT_IP=HIGH,
    )
    schema = None
    if backend == "postgres":
        schema = "bench_" + uuid.uuid4().hex[:10]
        env["LEARNSTREAM_DATABASE_URL"] = f"{PG_URL}?schema={schema}"
    port = free_port()
    log_path = workdir / "serve.log"
    with log_path.open("wb") as log:
        script = Path(sys.executable).parent / "learnstream"
        command = [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]
        proc = subprocess.Popen(
            [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(proc, base, lambda: log_path.read_text())
        yield base
    finally:
        terminate(proc)
        if schema is not None:
            import psycopg
            from psycopg import sql

            from infrastructure.settings import PostgresDsn

            with psycopg.connect(PostgresDsn.parse(PG_URL).conninfo(), autocommit=True) as conn:
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


async def list_rate(base: str, headers: dict[str, str], total: int, concurrency: int = 16) -> float:
    counter = iter(range(total))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as c:

        async def worker() -> None:
            for _ in counter:
                response = await c.get(LIST_PATH)
                if response.status_code != 200:
                    raise RuntimeError(f"list failed: {response.status_code} {response.text[:200]}")

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return total / (time.perf_counter() - began)


def bench_auth(backend: str, requests: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, server(backend, Path(tmp)) as base:
        login = httpx.post(base + "/api/v1/auth/login",
                           data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, timeout=60)
        login.raise_for_status()
        jwt = {"Authorization": f"Bearer {login.json()['tokens']['access_token']}"}
        for i in range(40):
            form = {"name": f"Course {i}", "description": "d", "about": "a", "public": "true"}
            httpx.post(base + "/api/v1/courses/?org_id=1", headers=jwt, timeout=60,
                       files={k: (None, v) for k, v in form.items()}).raise_for_status()
        created = httpx.post(base + "/api/v1/orgs/1/api-tokens", headers=jwt, timeout=60,
                             json={"name": "bench"})
        created.raise_for_status()
        token = {"Authorization": f"Bearer {created.json()['token']}"}
        asyncio.run(list_rate(base, jwt, 300))
        asyncio.run(list_rate(base, token, 300))
        by: dict[str, list[float]] = {"user JWT": [], "API token": []}
        for _ in range(rounds):
            by["user JWT"].append(asyncio.run(list_rate(base, jwt, requests)))
            by["API token"].append(asyncio.run(list_rate(base, token, requests)))
        print(f"\ncourse list page of 20, concurrency 16, {backend}, {rounds} x {requests} requests each")
        for name, rates in by.items():
            print(f"  {name:<10} median {statistics.median(rates):7.0f} req/s   rounds: "
                  + ", ".join(f"{r:.0f}" for r in rates))
        jwt_rate, token_rate = (statistics.median(v) for v in by.values())
        pairs = [j / t - 1 for j, t in zip(by["user JWT"], by["API token"], strict=True)]
        print(f"  token auth extra cost: {100 * (jwt_rate / token_rate - 1):+.1f} % on medians,"
              f" {100 * statistics.median(pairs):+.1f} % median of paired rounds (target <= 10 %)")


def bench_auth_step(repeats: int = 15, n: int = 1000) -> None:
    """The authentication step alone, in process (best of ``repeats``: robust on a busy box)."""
    from api.bootstrap import Container
    from application.api_token_schemas import TokenCreate
    from infrastructure.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env({
            "LEARNSTREAM_DATA_DIR": tmp, "LEARNSTREAM_ADMIN_EMAIL": ADMIN_EMAIL,
            "LEARNSTREAM_ADMIN_PASSWORD": ADMIN_PASSWORD, "LEARNSTREAM_ARGON2_PROFILE": "test",
        })
        c = Container.build(settings)
        c.start_followers()
        c.bootstrap()
        try:
            user = c.accounts.authenticate(ADMIN_EMAIL, ADMIN_PASSWORD, "")
            jwt = c.accounts.start_session(user).access_token
            token = c.api_tokens.issue(c.accounts.principal_for(jwt), 1, TokenCreate(name="b")).token
            org = c.orgs.org_uuid_by_slug("default")
            paths = {
                "user JWT": lambda: c.authz.course_visibility(c.accounts.principal_for(jwt), org),
                "API token": lambda: c.authz.course_visibility(c.api_tokens.principal_for(token), org),
            }
            best = dict.fromkeys(paths, float("inf"))
            for _ in range(repeats):
                for name, step in paths.items():
                    began = time.perf_counter()
                    for _ in range(n):
                        step()
                    best[name] = min(best[name], (time.perf_counter() - began) / n)
        finally:
            c.close()
    print("\nauthentication + course visibility, in process (SQLite), best of", repeats)
    for name, seconds in best.items():
        print(f"  {name:<10} {seconds * 1e6:7.1f} us/request")


def bench_limiter(decisions: int) -> None:
    checks = [("read:c:bench", Limit(10**9, 60.0)), ("ip:127.0.0.1", Limit(10**9, 60.0))]
    memory = MemoryRateLimiter()
    began = time.perf_counter()
    for _ in range(decisions):
        memory.hit_sync(checks)
    print(f"\nrate limiter, 2 buckets per decision\n  in process:        {decisions / (time.perf_counter() - began):9.0f} decisions/s")
    redis_limiter = RedisRateLimiter(REDIS_URL, f"bench:{uuid.uuid4().hex}:")
    began = time.perf_counter()
    for _ in range(decisions // 4):
        redis_limiter.hit_sync(checks)
    print(f"  Redis, sequential: {decisions / 4 / (time.perf_counter() - began):9.0f} decisions/s")

    async def concurrent(total: int, callers: int = 16) -> float:
        counter = iter(range(total))

        async def caller() -> None:
            for _ in counter:
                decision = await redis_limiter.hit(checks)
                assert decision.allowed

        began = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(callers)))
        return total / (time.perf_counter() - began)

    rate = asyncio.run(concurrent(decisions // 2))
    print(f"  Redis, 16 asyncio callers: {rate:9.0f} decisions/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--decisions", type=int, default=40000)
    args = parser.parse_args()
    bench_auth(args.backend, args.requests, args.rounds)
    bench_auth_step()
    bench_limiter(args.decisions)


if __name__ == "__main__":
    main()

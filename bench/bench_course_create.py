"""Course create through HTTP at N connections (issue 15 target: >= 1,000/s at 8 on PostgreSQL).

Starts ``learnstream serve`` on a fresh store, signs in, makes an org of its own, and drives
``POST /api/v1/courses/?org_id=...`` (the LearnHouse multipart form, as ``create_course.lua``)
for ``--seconds``. With wrk installed it is the driver; otherwise a driver process of this
script does the same: ``--connections`` keep-alive HTTP/1.1 connections on one asyncio loop,
each request pre-encoded bytes and the response parsed only as far as its status line and
length, so the client costs the server's two cores little (httpx costs several times more per
request). Prints requests/s, p50/p99, CPU per request of each kind of process (Linux) and the
load average, and checks that every answered request made a course.

    .venv/bin/python bench/bench_course_create.py --backend postgres [--connections 8] [--seconds 10]
        [--api-processes N]   (the production shape: a worker and N API processes)
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

BOUNDARY = "----learnstream-bench"


def form_body() -> bytes:
    fields = {
        "name": "Bench course", "description": "A beginner-friendly Python course",
        "about": "Learn Python from scratch.", "public": "true",
    }
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()
    ]
    return ("".join(parts) + f"--{BOUNDARY}--\r\n").encode()


def request_bytes(host: str, path: str, token: str) -> bytes:
    body = form_body()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def one_connection(host: str, port: int, payload: bytes, stop: float, out: list[float],
                         errors: list[str]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < stop:
            t = time.perf_counter()
            writer.write(payload)
            status = await reader.readline()
            length, chunked = 0, False
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
                elif name.lower() == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
            if chunked:
                while True:
                    size = int((await reader.readline()).strip(), 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            else:
                await reader.readexactly(length)
            if b" 200 " not in status:
                errors.append(status.decode().strip())
                return
            out.append(time.perf_counter() - t)
    finally:
        writer.close()


def drive(host: str, port: int, path: str, token: str, connections: int, seconds: float) -> dict[str, object]:
    payload = request_bytes(f"{host}:{port}", path, token)
    latencies: list[float] = []
    errors: list[str] = []

    async def main() -> float:
        began = time.perf_counter()
        stop = began + seconds
        await asyncio.gather(*(one_connection(host, port, payload, stop, latencies, errors) for _ in range(connections)))
        return time.perf_counter() - began

    elapsed = asyncio.run(main())
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")

    return {"requests": len(latencies), "seconds": elapsed, "p50_ms": pct(.5), "p99_ms": pct(.99), "errors": errors[:3]}


def cpu_seconds(pid: int) -> float | None:
    """A process's user + system CPU so far (Linux ``/proc``; None elsewhere or once it ended)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[int]:
    """Every local PostgreSQL process (the server may serve others too: a figure for scale)."""
    pids = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if (entry / "comm").read_text().strip() == "postgres":
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def cpu_by_role(pids: dict[str, list[int]]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for role, members in pids.items():
        totals[role] = sum(c for c in (cpu_seconds(p) for p in members) if c is not None)
    return totals


def measure(backend: str, connections: int, seconds: float, api_processes: int = 0) -> dict[str, object]:
    """Serve a fresh store and drive course creates (from wrk, or a process of this script),
    the connections shared out among the API processes."""
    import bench_foundation as bf
    import httpx

    with tempfile.TemporaryDirectory(prefix="bench_course_create_") as tmp, \
            bf.servers(backend, Path(tmp), api_processes) as served:
        base = served.bases[0]
        login = httpx.post(base + "/api/v1/auth/login", data={"username": bf.ADMIN_EMAIL, "password": bf.ADMIN_PASSWORD}, timeout=60)
        login.raise_for_status()
        token = login.json()["tokens"]["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        org_id = bf.new_org(base, headers, "create-bench")
        path = f"/api/v1/courses/?org_id={org_id}"
        shares = [connections // len(served.bases) + (i < connections % len(served.bases)) for i in range(len(served.bases))]
        pids = {**served.pids, "postgres": postgres_pids() if backend == "postgres" else []}
        before = cpu_by_role(pids)

        def one(i: int) -> dict[str, object]:
            url, n = served.bases[i], shares[i]
            measured = bf.wrk(url + path, token, n, int(seconds), "course create", bf.CREATE_LUA)
            if measured is not None:
                return {"client": "wrk", "requests": measured.requests, "seconds": measured.seconds,
                        "p50_ms": measured.p50_ms, "p99_ms": measured.p99_ms, "errors": []}
            host, port = url.removeprefix("http://").split(":")
            done = subprocess.run(
                [sys.executable, __file__, "--drive", host, port, path, str(n), str(seconds)],
                input=token, capture_output=True, text=True, check=True,
            )
            return {"client": "asyncio streams (own process)", **json.loads(done.stdout)}

        with concurrent.futures.ThreadPoolExecutor(len(served.bases)) as pool:
            parts = list(pool.map(one, range(len(served.bases))))
        after = cpu_by_role(pids)
        answered = sum(int(p["requests"]) for p in parts)  # type: ignore[call-overload]
        result: dict[str, object] = {
            "client": parts[0]["client"], "requests": answered,
            "seconds": max(float(p["seconds"]) for p in parts),  # type: ignore[arg-type]
            # the first process's percentiles: every process gets the same share of the load
            "p50_ms": parts[0]["p50_ms"], "p99_ms": parts[0]["p99_ms"],
            "errors": [e for p in parts for e in p["errors"]],  # type: ignore[attr-defined]
            "cpu_ms": {role: (after[role] - before[role]) * 1000 / max(answered, 1) for role in pids if pids[role]},
        }
        result["courses_made"] = bf.course_count(base, headers, "create-bench")
        result["load_average"] = os.getloadavg()[0]
    return result


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--drive":
        host, port, path, connections, seconds = sys.argv[2:7]
        token = sys.stdin.read().strip()
        print(json.dumps(drive(host, int(port), path, token, int(connections), float(seconds))))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--api-processes", type=int, default=0,
                        help="0: one serve with its followers; N: a worker and N API processes (PostgreSQL)")
    args = parser.parse_args()
    r = measure(args.backend, args.connections, args.seconds, args.api_processes)
    rate = float(r["requests"]) / float(r["seconds"])  # type: ignore[arg-type]
    shape = f"worker + {args.api_processes} API processes" if args.api_processes else "one process"
    print(f"course create over HTTP ({args.backend}, {shape}, {args.connections} connections, {r['client']}):"
          f" {rate:,.0f}/s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, {r['requests']} answered,"
          f" {r['courses_made']} courses made, load average {r['load_average']:.1f}   [target >= 1,000/s on PostgreSQL]")
    cpu = r["cpu_ms"]
    if cpu:
        print("CPU per request: " + ", ".join(f"{role} {ms:.2f} ms" for role, ms in cpu.items())  # type: ignore[attr-defined]
              + ("  (postgres: every local backend)" if "postgres" in cpu else ""))  # type: ignore[operator]
    if r["errors"]:
        print(f"errors: {r['errors']}")
    answered = int(r["requests"])  # type: ignore[call-overload]
    if not answered <= int(r["courses_made"]) <= answered + args.connections:  # type: ignore[call-overload]
        raise SystemExit(f"{answered} answered but {r['courses_made']} courses made")


if __name__ == "__main__":
    main()

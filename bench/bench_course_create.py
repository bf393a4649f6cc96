"""Course create through HTTP at N connections (issue 15 target: >= 1,000/s at 8 on PostgreSQL).

Starts ``learnstream serve`` on a fresh store, signs in, makes an org of its own, and drives
``POST /api/v1/courses/?org_id=...`` (the LearnHouse multipart form, as ``create_course.lua``)
for ``--seconds``. With wrk installed it is the driver; otherwise a driver process of this
script does the same: ``--connections`` keep-alive HTTP/1.1 connections on one asyncio loop,
each request pre-encoded bytes and the response parsed only as far as its status line and
length, so the client costs the server's two cores little (httpx costs several times more per
request). Prints requests/s, p50/p99 and the load average, and checks that every answered
request made a course.

    .venv/bin/python bench/bench_course_create.py --backend postgres [--connections 8] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
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


def measure(backend: str, connections: int, seconds: float) -> dict[str, object]:
    """Serve a fresh store and drive course creates from a process of its own."""
    import bench_foundation as bf
    import httpx

    with tempfile.TemporaryDirectory(prefix="bench_course_create_") as tmp, bf.server(backend, Path(tmp)) as base:
        login = httpx.post(base + "/api/v1/auth/login", data={"username": bf.ADMIN_EMAIL, "password": bf.ADMIN_PASSWORD}, timeout=60)
        login.raise_for_status()
        token = login.json()["tokens"]["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        org_id = bf.new_org(base, headers, "create-bench")
        path = f"/api/v1/courses/?org_id={org_id}"
        measured = bf.wrk(base + path, token, connections, int(seconds), "course create", bf.CREATE_LUA)
        if measured is not None:
            result: dict[str, object] = {"client": "wrk", "requests": measured.requests, "seconds": measured.seconds,
                                         "p50_ms": measured.p50_ms, "p99_ms": measured.p99_ms, "errors": []}
        else:
            host, port = base.removeprefix("http://").split(":")
            done = subprocess.run(
                [sys.executable, __file__, "--drive", host, port, path, str(connections), str(seconds)],
                input=token, capture_output=True, text=True, check=True,
            )
            result = {"client": "asyncio streams (own process)", **json.loads(done.stdout)}
        made = bf.course_count(base, headers, "create-bench")
        result["courses_made"] = made
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
    args = parser.parse_args()
    r = measure(args.backend, args.connections, args.seconds)
    rate = float(r["requests"]) / float(r["seconds"])  # type: ignore[arg-type]
    print(f"course create over HTTP ({args.backend}, {args.connections} connections, {r['client']}):"
          f" {rate:,.0f}/s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, {r['requests']} answered,"
          f" {r['courses_made']} courses made, load average {r['load_average']:.1f}   [target >= 1,000/s on PostgreSQL]")
    if r["errors"]:
        print(f"errors: {r['errors']}")
    answered = int(r["requests"])  # type: ignore[call-overload]
    if not answered <= int(r["courses_made"]) <= answered + args.connections:  # type: ignore[call-overload]
        raise SystemExit(f"{answered} answered but {r['courses_made']} courses made")


if __name__ == "__main__":
    main()

"""Assessment results figures for ``bench_assessment.py --results``: report latency on completed
sessions (the first call, which writes and records the report, apart from later calls, which
answer the recorded bytes) and the time the offline materials pipeline takes from
``AssessmentCompleted`` to ``MaterialsReady`` (event timestamps read from the log).

Each session is a ``thorough`` backend session answered weakly throughout, so it ends with ten
scored concepts, all below target: ten gap concepts to write material for.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

WEAK = "I am not sure, I would look it up."
COMPLETED = "domain.assessment:Assessment.AssessmentCompleted"
READY = "domain.study_materials:StudyMaterials.MaterialsReady"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


def line(name: str, values: list[float]) -> str:
    return (f"{name}: n={len(values)}  p50 {pct(values, 0.5):.2f} ms  p95 {pct(values, 0.95):.2f} ms"
            f"  p99 {pct(values, 0.99):.2f} ms  max {max(values) * 1000:.2f} ms")


async def complete(http: httpx.AsyncClient) -> str:
    started = await http.post("/api/assessment/start", json={
        "roleId": "backend_engineering", "skillIds": ["python", "sql"], "targetLevel": "senior",
        "thoroughness": "thorough"})
    started.raise_for_status()
    sid = str(started.json()["sessionId"])
    for _ in range(200):
        answered = await http.post(f"/api/assessment/{sid}/respond", json={"response": WEAK})
        answered.raise_for_status()
        if "[ASSESSMENT_COMPLETE]" in answered.text:
            return sid
    raise RuntimeError("the session did not complete")


async def measure(base: str, sessions: int, later_calls: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        r = await http.post("/api/auth/register",
                            json={"email": "results@example.com", "password": "password-123"})
        r.raise_for_status()
        sids = [await complete(http) for _ in range(sessions)]
        # The materials pipelines run first, so the report figures are the route's own.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            pending = [sid for sid in sids
                       if not (await http.get(f"/api/materials/{sid}")).json()["materials"]]
            if not pending:
                break
            await asyncio.sleep(0.2)
        first: list[float] = []
        bodies: dict[str, bytes] = {}
        for sid in sids:
            t0 = time.perf_counter()
            response = await http.get(f"/api/assessment/{sid}/report")
            first.append(time.perf_counter() - t0)
            response.raise_for_status()
            bodies[sid] = response.content
        later: list[float] = []
        graph: list[float] = []
        for n in range(later_calls):
            sid = sids[n % len(sids)]
            t0 = time.perf_counter()
            response = await http.get(f"/api/assessment/{sid}/report")
            later.append(time.perf_counter() - t0)
            if response.content != bodies[sid]:
                raise RuntimeError("a later report differs from the first")
            # The session's graph, interleaved: a plain read route on the same machine state.
            t0 = time.perf_counter()
            (await http.get(f"/api/assessment/{sid}/graph")).raise_for_status()
            graph.append(time.perf_counter() - t0)
        gaps = [len(json.loads(bodies[sid])["gapAnalysis"]["gaps"]) for sid in sids]
    return {"sids": sids, "first": first, "later": later, "graph": graph, "gaps": gaps}


def _when(state: bytes) -> datetime:
    stamp = json.loads(state)["timestamp"].replace("Z", "+00:00")
    return datetime.fromisoformat(stamp)


def materials_times(schema: str | None, workdir: Path, pg_url: str) -> tuple[list[float], list[int]]:
    """(seconds from AssessmentCompleted to MaterialsReady per session, concepts written)."""
    if schema is None:
        import sqlite3

        db = sqlite3.connect(str(workdir / "var" / "events.sqlite3"))
        rows = db.execute("SELECT topic, originator_id, state FROM stored_events WHERE topic IN (?, ?)",
                          (COMPLETED, READY)).fetchall()
    else:
        import psycopg

        from infrastructure.settings import PostgresDsn

        dsn = PostgresDsn.parse(pg_url)
        with psycopg.connect(dsn.conninfo(), options=f"-c search_path={schema}") as conn:
            table = conn.execute("SELECT table_name FROM information_schema.tables WHERE"
                                 " table_schema = %s AND table_name LIKE '%%events'",
                                 (schema,)).fetchone()[0]
            rows = conn.execute(f"SELECT topic, originator_id, state FROM {table}"
                                " WHERE topic IN (%s, %s)", (COMPLETED, READY)).fetchall()
    completed: dict[str, datetime] = {}
    ready: dict[str, tuple[datetime, int]] = {}
    for topic, originator, state in rows:
        raw = bytes(state)
        if topic == COMPLETED:
            completed[str(originator).replace("-", "")] = _when(raw)
        else:
            body = json.loads(raw)
            ready[str(body["session_id"]).replace("-", "")] = (_when(raw), int(body["count"]))
    times = [(ready[s][0] - completed[s]).total_seconds() for s in completed if s in ready]
    return times, [ready[s][1] for s in completed if s in ready]

"""SIGKILL the real server while courses stream in: nothing acknowledged is lost or doubled."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, free_port
from tests.e2e.server_process import course_form, list_all_courses, login, serve

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

WRITERS = 4
ACKNOWLEDGED_BEFORE_KILL = 40
ORG_ID = 1


class CourseStream:
    """Client threads creating uniquely named courses until the server goes away."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        self.base_url = base_url
        self.headers = headers
        self.acknowledged: dict[str, str] = {}  # name → course_uuid (got a 200)
        self.attempted: set[str] = set()
        # Why each writer ended; read and asserted by the test, since a failed assert in a
        # thread only ends that thread.
        self.endings: dict[int, str] = {}
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._run, args=(w,), daemon=True) for w in range(WRITERS)
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def _run(self, writer: int) -> None:
        try:
            ending = self._write(writer)
        except Exception as error:
            ending = f"crashed: {error!r}"
        with self._lock:
            self.endings[writer] = ending

    def _write(self, writer: int) -> str:
        with httpx.Client(base_url=self.base_url, headers=self.headers, timeout=60) as http:
            i = 0
            while not self.stop.is_set():
                name = f"crash-{writer}-{i}"
                i += 1
                with self._lock:
                    self.attempted.add(name)
                try:
                    response = http.post(f"/api/v1/courses/?org_id={ORG_ID}", files=course_form(name))
                except httpx.TransportError:
                    # The server died under us: this one is in flight, not acknowledged.
                    return "disconnected"
                if response.status_code != 200:
                    return f"{name} answered {response.status_code}: {response.text}"
                with self._lock:
                    self.acknowledged[name] = response.json()["course_uuid"]
        return "stopped"

    def acknowledged_count(self) -> int:
        with self._lock:
            return len(self.acknowledged)

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=90)
            assert not thread.is_alive()


def course_created_events(env: dict[str, str]) -> list[Any]:
    """Every CourseCreated in the event log, read through the event store (not the API)."""
    from infrastructure.event_store import EventStore
    from infrastructure.settings import Settings

    store = EventStore(Settings.from_env(env))
    try:
        found: list[Any] = []
        after = 0
        while True:
            batch = store.read(after, limit=500)
            if not batch:
                return found
            found.extend(e.event for e in batch if e.name == "CourseCreated")
            after = batch[-1].position
    finally:
        store.close()


def test_sigkill_during_course_creations_loses_and_doubles_nothing(settings_env, tmp_path: Path):
    log = tmp_path / "serve.log"
    server = serve(settings_env, log, free_port())
    try:
        with httpx.Client(base_url=server.base_url, timeout=60) as http:
            admin = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
        stream = CourseStream(server.base_url, admin)
        stream.start()
        deadline = time.monotonic() + 180
        while stream.acknowledged_count() < ACKNOWLEDGED_BEFORE_KILL:
            assert time.monotonic() < deadline, "the stream made no progress"
            assert server.alive(), server.output()[-4000:]
            time.sleep(0.01)
        server.kill()
        stream.join()
    finally:
        server.kill()
    # Every writer wrote until the kill cut it off (or it saw the stop), none failed otherwise.
    assert sorted(stream.endings) == list(range(WRITERS))
    assert {e for e in stream.endings.values()} <= {"disconnected", "stopped"}, stream.endings
    assert "disconnected" in stream.endings.values(), stream.endings

    acknowledged = dict(stream.acknowledged)
    assert len(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL

    restarted = serve(settings_env, log, free_port())
    try:
        with httpx.Client(base_url=restarted.base_url, timeout=60) as http:
            admin = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
            listed = list_all_courses(http, admin)
            count = http.get("/api/v1/courses/org_slug/default/count", headers=admin).json()
            for name, course_uuid in list(acknowledged.items())[:5]:
                got = http.get(f"/api/v1/courses/{course_uuid}", headers=admin)
                assert got.status_code == 200 and got.json()["name"] == name
    finally:
        restarted.stop()

    # The read model: every acknowledged course exactly once, nothing never attempted.
    listed_names = Counter(c["name"] for c in listed)
    assert count == len(listed)
    assert [n for n, k in listed_names.items() if k > 1] == []
    assert set(acknowledged) <= set(listed_names)
    assert set(listed_names) <= stream.attempted
    uuids = {c["name"]: c["course_uuid"] for c in listed if c["name"] in acknowledged}
    assert uuids == acknowledged

    # The log: every acknowledged course exactly once as CourseCreated, and it agrees with
    # the read model (in-flight ones may exist in both, or in neither).
    created = course_created_events(settings_env)
    logged_names = Counter(e.name for e in created)
    assert [n for n, k in logged_names.items() if k > 1] == []
    assert set(logged_names) == set(listed_names)
    assert {f"course_{e.originator_id}" for e in created} == {c["course_uuid"] for c in listed}

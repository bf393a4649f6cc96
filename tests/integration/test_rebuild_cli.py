"""``learnstream replay`` as an operator uses it: a projection of one's own built into a file
of its own, a rebuild interrupted and resumed (the live tables untouched meanwhile), and
``learnstream status`` saying that a rebuild is under way."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from projections.engine.rebuild import Interrupted, Rebuild
from projections.engine.rebuild_state import pending
from tests.e2e.server_process import clean_environ, learnstream_command, run_cli

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[2]
MINE = "tests.integration.user_projection:CourseNames"


@pytest.fixture
def courses(api: Any, client: Any, container: Any) -> dict[str, str]:
    """Course names as a user sees them: five created, one renamed, one deleted."""
    admin = api.admin()
    made = [api.create_course(admin, name=f"Course {i}") for i in range(5)]
    assert client.put(f"/api/v1/courses/{made[0]['course_uuid']}", json={"name": "Renamed"}, headers=admin).status_code == 200
    assert client.delete(f"/api/v1/courses/{made[1]['course_uuid']}", headers=admin).status_code == 200
    container.loop.stop()  # nothing follows the log in this process while the CLI works
    uuids = [c["course_uuid"].removeprefix("course_") for c in made]
    return {"Renamed": uuids[0], **{f"Course {i}": uuids[i] for i in (2, 3, 4)}}


def env_for(settings_env: dict[str, str], **extra: str) -> dict[str, str]:
    return {**settings_env, "PYTHONPATH": str(ROOT), **extra}  # the user's module is importable


def names_in(path: Path) -> dict[str, tuple[str, int]]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT name, course_uuid, renamed FROM course_names_v1_names").fetchall()
    return {name: (uuid, renamed) for name, uuid, renamed in rows}


def table_exists(path: Path, table: str) -> bool:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0] > 0


def test_a_projection_of_ones_own_is_built_into_a_sqlite_file(courses, settings_env, tmp_path):
    path = tmp_path / "mine.sqlite3"

    done = run_cli(["replay", "--projection", MINE, "--into", str(path)], env_for(settings_env))

    assert done.returncode == 0, done.stderr
    assert "rebuilding course_names [" in done.stderr and "events/s" in done.stderr
    expected = {name: (uuid, int(name == "Renamed")) for name, uuid in courses.items()}
    assert names_in(path) == expected


def test_an_interrupted_rebuild_resumes_where_it_stopped(courses, settings_env, tmp_path):
    path = tmp_path / "mine.sqlite3"
    slow = env_for(settings_env, COURSE_NAMES_PAUSE="1")  # a loaded machine still signals it mid-way
    command = [*learnstream_command(), "replay", "--projection", MINE, "--into", str(path), "--batch-size", "1"]
    process = subprocess.Popen(command, env=clean_environ(slow), stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _saved_progress(path):
            time.sleep(0.05)
        assert _saved_progress(path), "the rebuild never saved a batch"
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "resume" in stderr
    stopped_at = _saved_progress(path)
    assert stopped_at
    assert not table_exists(path, "course_names_v1_names")  # nothing half-built is ever live

    again = run_cli(["replay", "--projection", MINE, "--into", str(path)], env_for(settings_env))

    assert again.returncode == 0, again.stderr
    assert f"resuming course_names v1 from position {stopped_at}" in again.stderr
    assert names_in(path) == {name: (uuid, int(name == "Renamed")) for name, uuid in courses.items()}


def _saved_progress(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=5) as db:
            row = db.execute("SELECT position FROM projection_rebuilds WHERE name = 'course_names'").fetchone()
    except sqlite3.OperationalError:  # its tables are not there yet
        return 0
    return int(row[0]) if row else 0


def test_status_shows_a_rebuild_under_way_and_replay_finishes_it(courses, container, settings_env):
    catalog = container.projections["catalog"]
    before = catalog.dump()
    stop = None

    def first_batch_only(progress: Any) -> None:
        if progress.phase == "fill" and progress.position > 0:
            stop.set()

    rebuild = Rebuild(container.events, [catalog], batch_size=2, progress=first_batch_only)
    stop = rebuild.stop
    with pytest.raises(Interrupted):
        rebuild.run()
    assert catalog.dump() == before  # the live rows did not move
    if container.read_store.dialect == "postgres":  # what was filled survives a database crash
        row = pending(container.read_store, catalog)
        assert row is not None
        shadows = catalog.rebuild_clone(row.tag).derived_tables()
        kinds = container.read_store.fetchall(
            "SELECT relpersistence FROM pg_class WHERE relname = ANY(?) AND relkind = 'r'",
            ([name.split(".")[-1].strip('"') for name in shadows],),
        )
        assert [k["relpersistence"] for k in kinds] == ["p"] * len(shadows)

    status = run_cli(["status"], settings_env)
    assert status.returncode == 0, status.stderr
    assert "rebuilding v1 beside it (replay" in status.stdout

    resumed = run_cli(["replay", "--projection", "catalog"], settings_env)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming catalog v1 from position" in resumed.stderr
    assert catalog.dump() == before
    assert "rebuilding" not in run_cli(["status"], settings_env).stdout

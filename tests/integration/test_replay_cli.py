"""``learnstream replay`` rebuilds read models from the log into identical rows; so does a bump."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from typing import Any
from uuid import UUID

import pytest

from application.authorization import Principal
from application.content import ActivityDraft, ChapterImport
from projections.engine.followers import Follower
from projections.engine.framework import Projection, drop_older_versions, saved_position
from tests.e2e.server_process import clean_environ, learnstream_command, run_cli

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture
def history(api: Any, client: Any, container: Any) -> dict[str, Any]:
    """A little of everything the read models handle: orgs, members, roles, courses changed."""
    admin = api.admin()
    beta = api.create_org(admin, "beta")
    api.member(1, "member@example.com")
    courses = [api.create_course(admin, name=f"Course {i}", public=i % 2 == 0) for i in range(6)]
    beta_courses = [api.create_course(admin, org_id=beta["id"], name=f"Beta {i}") for i in range(3)]
    renamed = client.put(
        f"/api/v1/courses/{courses[1]['course_uuid']}", json={"name": "Renamed"}, headers=admin
    )
    assert renamed.status_code == 200, renamed.text
    gone = client.delete(f"/api/v1/courses/{beta_courses[0]['course_uuid']}", headers=admin)
    assert gone.status_code == 200, gone.text
    # Nothing may follow the log in this process while the CLI rebuilds the same tables.
    container.loop.stop()
    return {"admin": admin, "courses": courses}


def dumps(container: Any) -> dict[str, dict[str, list[dict[str, Any]]]]:
    return {name: p.dump() for name, p in container.projections.items()}


def replay(settings_env: dict[str, str], *args: str) -> str:
    done = run_cli(["replay", *args], settings_env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stderr


def test_replay_all_rebuilds_identical_rows_with_a_progress_bar(
    history, container, settings_env
):
    before = dumps(container)
    assert len(before["catalog"]["courses"]) == 8
    head = container.events.last_position()

    stderr = replay(settings_env)

    assert dumps(container) == before
    count = len(container.projections)
    assert re.search(
        rf"rebuilding {count} read models \[#+\] {head}/{head} 100\.0%  [\d,]+ events/s  0:00 left", stderr
    ), stderr
    for name in container.projections:
        assert re.search(rf"{name}\s+rebuilt to position {head} of {head}", stderr), stderr
        assert saved_position(container.read_store, container.projections[name]) == head


def test_replay_shared_over_two_processes_rebuilds_identical_rows(history, container, settings_env):
    before = dumps(container)
    head = container.events.last_position()

    stderr = replay(settings_env, "--jobs", "2")

    assert dumps(container) == before
    assert re.search(r"2 processes: [\w, ]+ \| [\w, ]+", stderr), stderr
    assert re.search(rf"rebuilding {len(container.projections)} read models \[#+\] {head}/{head} 100\.0%", stderr), stderr
    for name in container.projections:
        assert re.search(rf"{name}\s+rebuilt to position {head} of {head}", stderr), stderr
        assert saved_position(container.read_store, container.projections[name]) == head


@pytest.fixture
def longer_history(history: dict[str, Any], container: Any) -> None:
    """Enough entries (2,000 activities more) that a replay of one entry a batch is still
    under way when signalled."""
    admin = Principal(user_id=UUID(container.identity.user_by_email("admin@example.com")["user_uuid"]))
    lessons = [ActivityDraft(name=f"Lesson {j}", content={"type": "doc", "content": []}) for j in range(2_000)]
    container.content.import_outline(admin, history["courses"][0]["course_uuid"], [ChapterImport(name="Part", activities=lessons)])
    container.catch_up()  # the live read models hold them too (``history`` stopped the followers)


def test_ctrl_c_stops_every_share_of_a_two_process_replay_and_the_next_replay_resumes(
    longer_history, container, settings_env
):
    before = dumps(container)
    command = [*learnstream_command(), "replay", "--jobs", "2", "--batch-size", "1"]
    process = subprocess.Popen(command, env=clean_environ(settings_env), stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        shares = process.stderr.readline().split(":", 1)[1].split("|")
        first, second = ({n.strip() for n in share.split(",")} for share in shares)
        deadline, seen = time.monotonic() + 60, set()
        while time.monotonic() < deadline and not (seen & first and seen & second):
            seen |= moved(container)
            time.sleep(0.02)
        assert seen & first and seen & second, "a share never saved a batch"
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()

    assert process.returncode == 130, stderr
    assert "interrupted: " in stderr and "Run `learnstream replay` again to resume" in stderr
    assert dumps(container) == before  # nothing half-built went live
    again = replay(settings_env)
    assert "resuming " in again
    assert dumps(container) == before


def moved(container: Any) -> set[str]:
    """Read models whose rebuild has saved a batch."""
    rows = container.read_store.fetchall("SELECT name FROM projection_rebuilds WHERE position > 0")
    return {row["name"] for row in rows}


def test_drop_a_read_model_table_then_replay_one_projection(history, container, settings_env):
    before = dumps(container)
    catalog = container.projections["catalog"]
    with container.read_store.transaction() as tx:
        tx.execute(f"DROP TABLE {catalog.table('courses')}")

    stderr = replay(settings_env, "--projection", "catalog")

    assert "catalog" in stderr and "identity" not in stderr
    assert dumps(container) == before


def test_replay_of_an_unknown_projection_is_refused(history, settings_env):
    done = run_cli(["replay", "--projection", "nope"], settings_env)
    assert done.returncode == 2
    assert "unknown projection" in done.stderr


def test_api_reads_the_replayed_read_models(history, client, settings_env):
    replay(settings_env)
    admin = history["admin"]
    listed = client.get("/api/v1/courses/org_slug/default/page/1/limit/20", headers=admin)
    assert listed.status_code == 200
    names = sorted(c["name"] for c in listed.json())
    assert names == sorted(["Course 0", "Renamed", "Course 2", "Course 3", "Course 4", "Course 5"])


def bumped(projection: Projection) -> Projection:
    cls = type(projection)
    subclass = type(f"{cls.__name__}V{cls.version + 1}", (cls,), {"version": cls.version + 1})
    return subclass(projection.store)  # type: ignore[no-any-return]


def table_exists(container: Any, table: str) -> bool:
    """From the database's catalog, so no other failure can pass for a missing table."""
    store = container.read_store
    if store.dialect == "postgres":
        row = store.fetchone("SELECT to_regclass(?) IS NOT NULL AS present", (table,))
    else:
        row = store.fetchone("SELECT count(*) > 0 AS present FROM sqlite_master WHERE name = ?", (table,))
    assert row is not None
    return bool(row["present"])


def test_version_bump_builds_fresh_tables_from_zero_with_identical_rows(history, container):
    before = dumps(container)
    head = container.events.last_position()
    for name, old in container.projections.items():
        new = bumped(old)
        assert new.table("courses") != old.table("courses")
        follower = Follower(new, container.events, batch_size=3)
        follower.start()
        assert follower.position == 0  # fresh tables, from the start of the log
        seen: list[int] = []
        follower.catch_up(progress=seen.append)
        follower.flush()  # an advance over trailing events it ignores is saved lazily
        assert seen[-1] == head and len(seen) > 1
        assert new.dump() == before[name]

        drop_older_versions(new)
        assert saved_position(container.read_store, old) is None
        assert saved_position(container.read_store, new) == head
        for logical in old.tables:
            assert not table_exists(container, old.table(logical))
            assert table_exists(container, new.table(logical))

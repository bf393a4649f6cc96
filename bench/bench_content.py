"""Content benchmark: search, course meta and activity completions on a loaded catalog.

Loads ``--courses`` courses with ``--activities`` activities each (issue size: 10,000 x 20 =
200,000) through the application services (``Catalog.create_course`` and
``Content.import_outline``, one append per course tree), then measures, in process:

1. search p50/p99: ``Search.courses`` (random vocabulary words, prefixes included) and the
   grouped ``Search.everything`` (a 4-letter prefix, or that and a second prefix), every query
   cold (the read cache cleared) and then warm;
2. ``courses/{uuid}/meta`` p99 (``Content.course_meta`` + the caller's run);
3. activity completions at ``--rate``/s for ``--seconds``, ``--threads`` at a time on one event loop
   (the path POST /api/v1/trail/add_activity takes):
   commands/s achieved and projection lag (append → progress read model applied) p50/p99.

    .venv/bin/python bench/bench_content.py [--backend sqlite|postgres] [--courses 10000]
        [--activities 20] [--rate 300] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PG_URL = os.environ.get("LEARNSTREAM_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
WORDS = [
    "python", "rust", "kotlin", "databases", "postgres", "algebra", "calculus", "history",
    "biology", "chemistry", "music", "design", "marketing", "finance", "statistics", "machine",
    "learning", "networks", "security", "cooking", "french", "spanish", "painting",
    "photography", "writing", "economics", "physics", "astronomy", "geology", "robotics",
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


def build(backend: str, workdir: Path) -> tuple[Any, str | None]:
    from api.bootstrap import Container
    from infrastructure.settings import Settings

    env = {
        "LEARNSTREAM_DATA_DIR": str(workdir),
        "LEARNSTREAM_ADMIN_EMAIL": "admin@example.com",
        "LEARNSTREAM_ADMIN_PASSWORD": "admin-password-1",
        "LEARNSTREAM_ARGON2_PROFILE": "test",
        "LEARNSTREAM_READ_YOUR_WRITES_TIMEOUT": "30",
    }
    schema = None
    if backend == "postgres":
        schema = "bench_content_" + uuid.uuid4().hex[:8]
        env["LEARNSTREAM_DATABASE_URL"] = f"{PG_URL}?schema={schema}"
    container = Container.build(Settings.from_env(env))
    container.start_followers()
    container.bootstrap()
    return container, schema


def outline_chapters(rng: random.Random, activities: int) -> list[Any]:
    """A course's four chapters holding ``activities`` lessons of vocabulary words."""
    from application.content import ActivityDraft, ChapterImport

    per_chapter = max(1, activities // 4)
    chapters = []
    left = activities
    for c in range(4):
        n = min(per_chapter if c < 3 else left, left)
        left -= n
        chapters.append(ChapterImport(name=f"Part {c + 1} {rng.choice(WORDS)}", activities=[
            ActivityDraft(name=f"Lesson {j} {rng.choice(WORDS)}",
                          content={"type": "doc", "content": [{"type": "text", "text": " ".join(rng.sample(WORDS, 6))}]})
            for j in range(n)
        ]))
    return chapters


def load(container: Any, admin: Any, courses: int, activities: int, threads: int) -> list[str]:
    from application.catalog import CourseCreate

    rng = random.Random(7)
    uuids: list[str] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        words = " ".join(rng.sample(WORDS, 3))
        view = container.catalog.create_course(admin, 1, CourseCreate(
            name=f"{words.title()} {i}", description=f"About {words}", about="A course.", public=True,
        ))
        chapters = outline_chapters(rng, activities)
        container.content.import_outline(admin, view.course_uuid, chapters)
        with lock:
            uuids.append(view.course_uuid)

    start = time.perf_counter()
    done = 0

    def worker(offset: int) -> None:
        nonlocal done
        for i in range(offset, courses, threads):
            one(i)
            with lock:
                done += 1
                if done % 500 == 0:
                    rate = done / (time.perf_counter() - start)
                    print(f"  loaded {done}/{courses} courses ({rate:.0f} courses/s)", flush=True)

    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    print(f"load: {courses} courses, {courses * activities} activities in {elapsed:.1f}s"
          f" ({courses * activities / elapsed:.0f} activities/s)")
    return uuids


def bulk_load(container: Any, admin: Any, courses: int, activities: int, chunk: int = 500) -> list[str]:
    """The same catalog as ``load`` (same names, vocabulary and shape), through the bulk path:
    ``CourseImport.import_courses``, 50 course trees an append, ``chunk`` courses a call, one
    read-your-writes wait a call, two callers. Timed until every read model has it."""
    from application.catalog import CourseCreate
    from application.course_import import CourseOutline

    rng = random.Random(7)

    def outline(i: int) -> CourseOutline:
        words = " ".join(rng.sample(WORDS, 3))
        chapters = outline_chapters(rng, activities)
        return CourseOutline(course=CourseCreate(
            name=f"{words.title()} {i}", description=f"About {words}", about="A course.", public=True,
        ), chapters=chapters)

    # Two loaders: while one call waits for the read models to take its last trees, the
    # other appends (one loader left the log idle at every call's end).
    chunks = iter(range(0, courses, chunk))
    lock = threading.Lock()
    loaded: dict[int, list[str]] = {}
    start = time.perf_counter()

    def loader() -> None:
        while True:
            with lock:
                first = next(chunks, None)
                if first is None:
                    return
                outlines = [outline(i) for i in range(first, min(first + chunk, courses))]
            made = container.course_import.import_courses(admin, 1, outlines)
            with lock:
                loaded[first] = made
                done = sum(map(len, loaded.values()))
            print(f"  loaded {done}/{courses} courses ({done * activities / (time.perf_counter() - start):,.0f}"
                  " activities/s)", flush=True)

    threads = [threading.Thread(target=loader) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    uuids = [uuid for first in sorted(loaded) for uuid in loaded[first]]
    container.writer.caught_up(list(container.projections))
    elapsed = time.perf_counter() - start
    print(f"bulk load: {courses} courses, {courses * activities} activities in {elapsed:.1f}s"
          f" ({courses * activities / elapsed:.0f} activities/s, every read model caught up)")
    return uuids


def learn(container: Any, admin: Any, uuids: list[str], learners: int, courses_each: int = 4) -> int:
    """Learners' history on the loaded courses: each of ``learners`` accounts enrolls in
    ``courses_each`` courses and completes activities in them (every one in half of its
    courses, which completes those enrollments). The enrollments are the domain's own
    aggregates, appended 50 to a transaction without the command path's reads, so a history
    of completions costs seconds to make. Returns the events appended."""
    from uuid import UUID

    from application.accounts import NewAccount
    from domain.enrollments import Enrollment

    rng = random.Random(13)
    run = uuid.uuid4().hex[:8]  # a kept history may be given learners again
    org = container.orgs.org_uuid(1)
    outlines: dict[str, tuple[UUID, list[UUID]]] = {}
    pending: list[Any] = []
    appended = 0
    start = time.perf_counter()
    for i in range(learners):
        view = container.accounts.register(NewAccount(email=f"history{i}-{run}@example.com", password="password-123"))
        user = UUID(view.user_uuid.removeprefix("user_"))
        container.orgs.join(org, user, "role_global_user")
        for ref in rng.sample(uuids, min(courses_each, len(uuids))):
            if ref not in outlines:
                meta = container.content.course_meta(admin, ref)
                acts = [UUID(a.activity_uuid.removeprefix("activity_")) for ch in meta.chapters for a in ch.activities]
                outlines[ref] = (UUID(meta.course_uuid.removeprefix("course_")), acts)
            course, acts = outlines[ref]
            enrollment = Enrollment(org_id=org, user_id=user, course_id=course)
            done = acts if rng.random() < 0.5 else rng.sample(acts, rng.randint(1, max(1, len(acts) - 1)))
            required = [str(a) for a in acts]
            for activity in done:
                enrollment.complete_activity(activity, required)
            pending.append(enrollment)
            if len(pending) == 50:
                appended += sum(len(e.pending_events) for e in pending)
                container.events.save(*pending)
                pending = []
        if (i + 1) % 100 == 0:
            print(f"  learners {i + 1}/{learners} ({(i + 1) / (time.perf_counter() - start):.0f}/s)", flush=True)
    if pending:
        appended += sum(len(e.pending_events) for e in pending)
        container.events.save(*pending)
    return appended


def bench_reads(container: Any, admin: Any, uuids: list[str], n: int) -> None:
    from application.authorization import ANONYMOUS

    rng = random.Random(11)
    cache = container.identity.cache  # read models' query cache (search results included)
    for warm in (False, True):
        label = "repeated queries, cache warm" if warm else "every query cold (cache cleared)"
        search: list[float] = []
        for i in range(n):
            word = rng.choice(WORDS)
            query = word[: rng.randint(3, len(word))] if i % 2 else f"{word} {rng.choice(WORDS)}"
            if not warm:
                cache.clear()
            t = time.perf_counter()
            container.search.courses(ANONYMOUS if i % 3 else admin, "default", query, 1, 10)
            search.append(time.perf_counter() - t)
        print(f"search (courses, limit 10; {label}): n={n} p50={pct(search, .5):.2f} ms p99={pct(search, .99):.2f} ms")
        for shape in ("one term", "two terms"):
            grouped: list[float] = []
            for _ in range(n // 4):
                query = rng.choice(WORDS)[:4]
                if shape == "two terms":
                    query += " " + rng.choice(WORDS)[: rng.randint(3, 6)]
                if not warm:
                    cache.clear()
                t = time.perf_counter()
                container.search.everything(admin, "default", query, 1, 10)
                grouped.append(time.perf_counter() - t)
            print(f"search (grouped, 4 types + totals, {shape}; {label}): n={len(grouped)}"
                  f" p50={pct(grouped, .5):.2f} ms p99={pct(grouped, .99):.2f} ms")
    meta: list[float] = []
    for _ in range(n):
        course = rng.choice(uuids)
        t = time.perf_counter()
        view = container.content.course_meta(admin, course)
        view.trail = container.learning.run_for(admin, view.course_uuid)
        meta.append(time.perf_counter() - t)
    print(f"courses/{{uuid}}/meta (20 activities): n={n} p50={pct(meta, .5):.2f} ms p99={pct(meta, .99):.2f} ms")


def bench_completions(
    container: Any, uuids: list[str], rate: float, seconds: float, threads: int
) -> tuple[float, float, float]:
    """Activity completions at ``rate``/s from ``threads`` concurrent learners: the rate reached,
    and the progress projection's lag p50/p99 (ms) from append to applied (by this process's
    followers, or told by another process's)."""
    from application.accounts import NewAccount
    from application.authorization import Principal

    learners = []
    run = uuid.uuid4().hex[:8]  # a kept history may be measured again
    for i in range(max(threads * 8, int(rate * seconds / 15) + threads)):  # enough work to last
        view = container.accounts.register(NewAccount(email=f"learner{i}-{run}@example.com", password="password-123"))
        user = uuid.UUID(view.user_uuid.removeprefix("user_"))
        container.orgs.join(container.orgs.org_uuid(1), user, "role_global_user")
        learners.append(Principal(user_id=user))
    work: list[tuple[Any, str]] = []
    rng = random.Random(5)
    for learner in learners:
        course = container.content.course_meta(learner, rng.choice(uuids))
        for chapter in course.chapters:
            for activity in chapter.activities:
                work.append((learner, activity.activity_uuid))
    rng.shuffle(work)
    saved: dict[int, float] = {}
    lags: list[float] = []
    board = container.board
    original = board.publish

    original_heard = board.heard

    def note_lag(position: int) -> None:
        now = time.perf_counter()
        for p in [p for p in saved if p <= position]:
            lags.append(now - saved.pop(p))

    def publish(name: str, position: int, changed: bool = True) -> None:  # this process's followers
        original(name, position, changed)
        if name == "progress":
            note_lag(position)

    def heard(positions: dict[str, int]) -> None:  # another process's (``bench_replay.py``'s lag_split)
        original_heard(positions)
        if "progress" in positions:
            note_lag(positions["progress"])

    board.publish, board.heard = publish, heard
    container.events.add_listener(lambda position: saved.__setitem__(position, time.perf_counter()))
    latencies: list[float] = []
    interval = threads / rate
    cursor = iter(work)

    async def worker(stop: float) -> None:
        # The path POST /api/v1/trail/add_activity/{uuid} takes, on one event loop.
        next_at = time.perf_counter()
        while time.perf_counter() < stop:
            item = next(cursor, None)
            if item is None:
                return
            t = time.perf_counter()
            await container.learning.complete_activity_async(*item)
            latencies.append(time.perf_counter() - t)
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

    async def drive() -> None:
        container.read_store.dedicate_reads_to_this_thread()  # as the API does on its loop
        stop = time.perf_counter() + seconds
        await asyncio.gather(*(worker(stop) for _ in range(threads)))

    start = time.perf_counter()
    asyncio.run(drive())
    elapsed = time.perf_counter() - start
    board.publish, board.heard = original, original_heard
    print(f"completions: {len(latencies)} in {elapsed:.1f}s = {len(latencies) / elapsed:.0f}/s"
          f" (target {rate:.0f}/s, {threads} concurrent); command p50={pct(latencies, .5):.1f} ms"
          f" p99={pct(latencies, .99):.1f} ms")
    print(f"progress projection lag: n={len(lags)} p50={pct(lags, .5):.1f} ms p99={pct(lags, .99):.1f} ms")
    return len(latencies) / elapsed, pct(lags, .5), pct(lags, .99)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--courses", type=int, default=10_000)
    parser.add_argument("--activities", type=int, default=20)
    parser.add_argument("--load-threads", type=int, default=4)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=300)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL schema or the SQLite data dir (to EXPLAIN queries)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench_content_"))
    container, schema = build(args.backend, workdir)
    try:
        from application.authorization import Principal

        admin_row = container.identity.user_by_email("admin@example.com")
        admin = Principal(user_id=uuid.UUID(admin_row["user_uuid"]))
        print(f"backend={args.backend} courses={args.courses} activities/course={args.activities}")
        uuids = load(container, admin, args.courses, args.activities, args.load_threads)
        bench_reads(container, admin, uuids, args.queries)
        bench_completions(container, uuids, args.rate, args.seconds, args.threads)
    finally:
        container.close()
        if args.keep and schema is None:
            print(f"kept data dir {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        if schema is not None and args.keep:
            print(f"kept schema {schema}")
        elif schema is not None:
            import psycopg

            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


if __name__ == "__main__":
    main()

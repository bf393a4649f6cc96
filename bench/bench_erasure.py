"""What sealing personal data costs: the mapper per event, signups, and a replay of the identity
read model, each with sealing on and off in the same code (off = the mapper's personal-data hook
removed, as the code was before sealing existed).

    .venv/bin/python bench/bench_erasure.py [--backends sqlite,postgres] [--users 2000]

In-process (no HTTP): signups go through the ``Signups`` service from 8 threads (argon2id on its
light test profile, so the figure is ours, not the hash's); the replay rebuilds a fresh version
of the identity projection from position 0 in a new store, so every key is a cache miss.
Not a test: it prints a table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from api.bootstrap import Container
from application.accounts import NewAccount
from domain.courses import Course
from domain.users import User
from infrastructure.settings import Settings
from projections.engine.followers import Follower

PG_URL = os.environ.get("LEARNSTREAM_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def settings_for(backend: str, workdir: Path) -> tuple[Settings, str | None]:
    env = {
        "LEARNSTREAM_DATA_DIR": str(workdir),
        "LEARNSTREAM_ADMIN_EMAIL": "bench@example.com",
        "LEARNSTREAM_ADMIN_PASSWORD": "bench-password-1",
        "LEARNSTREAM_JWT_SECRET": "bench-" + uuid.uuid4().hex,
        "LEARNSTREAM_ARGON2_PROFILE": "test",
    }
    schema = None
    if backend == "postgres":
        schema = "bench_" + uuid.uuid4().hex[:10]
        env["LEARNSTREAM_DATABASE_URL"] = f"{PG_URL}?schema={schema}"
    return Settings.from_env(env), schema


def without_sealing(container: Container) -> None:
    """The mapper as it was before sealing: no hook, no key preparation."""
    container.events.raw_app().mapper._personal = None
    container.events._writer._before_put = lambda events: None  # no keys made


def mapper_costs(container: Container, rounds: int = 3000) -> dict[str, float]:
    """Microseconds per encode and per decode (warm key cache)."""
    mapper = container.events.raw_app().mapper
    user = User(email="ada@example.com", username="ada", first_name="Ada", last_name="Lovelace",
                password_hash="x" * 90, avatar_image="")
    course = Course(org_id=uuid.uuid4(), author_id=user.id, name="Engines", description="d",
                    about="a", learnings="", tags="", public=True, published=False, thumbnail_image="")
    out = {}
    for label, event in (("user", user.collect_events()[0]), ("course", course.collect_events()[0])):
        container.events.personal_data.prepare([event])
        stored = mapper.to_stored_event(event)
        started = time.perf_counter()
        for _ in range(rounds):
            mapper.to_stored_event(event)
        out[f"encode {label}"] = (time.perf_counter() - started) / rounds * 1e6
        started = time.perf_counter()
        for _ in range(rounds):
            mapper.to_domain_event(stored)
        out[f"decode {label}"] = (time.perf_counter() - started) / rounds * 1e6
    return out


def signups(container: Container, users: int) -> float:
    """Signups per second from 8 threads."""
    def one(i: int) -> None:
        container.signups.sign_up(1, NewAccount(
            email=f"user{i}@example.com", password="password-123", username=f"user{i}",
            first_name="First", last_name=f"Last{i}",
        ))

    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(users)))
    return users / (time.perf_counter() - started)


def identity_replay(settings: Settings, sealed: bool) -> tuple[float, int]:
    """Events per second of a fresh identity version rebuilt from 0 (cold key cache)."""
    container = Container.build(settings)
    if not sealed:
        without_sealing(container)
    old = container.projections["identity"]
    fresh_cls = type("IdentityBench", (type(old),), {"version": type(old).version + 100})
    fresh = fresh_cls(old.store)
    follower = Follower(fresh, container.events, batch_size=500)
    follower.start()
    started = time.perf_counter()
    follower.catch_up()
    follower.flush()
    seconds = time.perf_counter() - started
    head = container.events.last_position()
    container.close()
    return head / seconds, head


def run(backend: str, users: int, sealed: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        settings, schema = settings_for(backend, Path(tmp))
        try:
            container = Container.build(settings)
            if not sealed:
                without_sealing(container)
            container.start_followers()
            container.bootstrap()
            result: dict[str, Any] = dict(mapper_costs(container))
            result["signups/s"] = signups(container, users)
            container.close()
            result["replay events/s"], result["events"] = identity_replay(settings, sealed)
            return result
        finally:
            if schema is not None:
                drop_schema(schema)


def drop_schema(schema: str) -> None:
    import psycopg
    from psycopg import sql

    from infrastructure.settings import PostgresDsn

    with psycopg.connect(PostgresDsn.parse(PG_URL).conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=2, help="runs per cell (the median is shown)")
    args = parser.parse_args()
    print(f"personal-data sealing benchmark ({os.cpu_count()} cores, {args.users} signups)")
    for backend in args.backends.split(","):
        cells = {}
        for sealed in (False, True):
            runs = [run(backend, args.users, sealed) for _ in range(args.repeat)]
            cells[sealed] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(f"\n{backend:<9} {'measure':<18} {'off':>10} {'on':>10}")
        for key in cells[True]:
            print(f"{'':<9} {key:<18} {cells[False][key]:>10.1f} {cells[True][key]:>10.1f}")


if __name__ == "__main__":
    main()

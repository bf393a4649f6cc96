"""Handler CPU of read models over a kept history, without the database (issue 15).

A rebuild's time mixes decoding, the handlers, the driver and the database, and on a shared
two-core machine its events/s varied by a quarter between identical runs. This script times
the part a projection's own code decides: every event of its topics, decoded beforehand,
applied through ``BatchWrites`` over a transaction that sends nothing, batch by batch as a
rebuild applies them. Process CPU time, best of ``--repeat`` passes, each pass on a fresh
clone (empty memories). Run it from a worktree of another commit to compare two versions.

    .venv/bin/python bench/bench_handlers.py --backend postgres --schema S --data-dir D --projections search
    .venv/bin/python bench/bench_handlers.py --backend sqlite --data-dir D
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

BATCH = 5_000


class SilentTx:
    """A transaction that takes every statement and answers every query with nothing."""

    def execute(self, *args: Any, **kwargs: Any) -> None:
        return None

    def executemany(self, *args: Any, **kwargs: Any) -> None:
        return None

    def copy_rows(self, *args: Any, **kwargs: Any) -> None:
        return None

    def fetchone(self, *args: Any, **kwargs: Any) -> None:
        return None

    def fetchall(self, *args: Any, **kwargs: Any) -> list[Any]:
        return []

    def execute_counted(self, *args: Any, **kwargs: Any) -> int:
        return 0


def handler_cpu(container: Any, name: str, repeat: int) -> tuple[int, list[float]]:
    from infrastructure.event_store import LoggedEvent
    from projections.engine.batch_writes import BatchWrites

    live = container.projections[name]
    topics = sorted(live.topics)
    head = container.events.last_position()
    entries: list[Any] = []
    after = 0
    while after < head:
        page = container.events.read_entries(after, BATCH, topics, head)
        entries.extend(page)
        if len(page) < BATCH:
            break
        after = page[-1].id
    logged = [LoggedEvent.stored_entry(entry, container.events.decode) for entry in entries]
    for item in logged:  # decoded now: not part of what is timed
        _ = item.event, item.oid
    gc.freeze()
    passes = []
    for attempt in range(repeat):
        clone = live.rebuild_clone(f"cpu{attempt}")
        shapes = clone.shapes()
        start = time.process_time()
        for first in range(0, len(logged), BATCH):
            writes = BatchWrites(SilentTx(), container.read_store.dialect, shapes, copy=True)  # type: ignore[arg-type]
            for item, entry in zip(logged[first:first + BATCH], entries[first:first + BATCH], strict=True):
                clone.apply(writes, item, entry.topic)
            clone.before_commit(writes)
            writes.flush()
        passes.append(time.process_time() - start)
    gc.unfreeze()
    return len(logged), passes


def main() -> None:
    from bench_replay import store_env

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--schema", help="PostgreSQL: the history's schema")
    parser.add_argument("--data-dir", required=True, help="the history's data dir (and its sealing key)")
    parser.add_argument("--projections", default="content,search,webhook_publisher,audit_chain")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.backend == "postgres" and not args.schema:
        parser.error("PostgreSQL: --schema names the history")
    from api.bootstrap import Container
    from infrastructure.settings import Settings

    container = Container.build(Settings.from_env(store_env(args.backend, args.schema, Path(args.data_dir))))
    try:
        for name in args.projections.split(","):
            events, passes = handler_cpu(container, name, args.repeat)
            best, median = min(passes), sorted(passes)[len(passes) // 2]
            print(f"{name}: {events:,} events, handler CPU best {best:.3f} s (median {median:.3f} s),"
                  f" {events / best:,.0f} events per CPU-second")
    finally:
        container.close()


if __name__ == "__main__":
    main()

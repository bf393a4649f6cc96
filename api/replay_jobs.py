"""``learnstream replay`` over several processes: the read models shared out, one bar for all.

A rebuild is Python work per event (decoding, the handlers), so one process keeps one core busy
however many the machine has. The built-in read models are shared out over ``--jobs``
processes: the first share is rebuilt by the parent, each other one by a worker process
(``learnstream replay --worker --projection ...``), each one pass over the log for the topics of
its share, so every event is still decoded once per process and handled by the
same code as in a single process. Each read model's rebuild is its own (its shadow tables, its
progress row, its switch), so workers need nothing from each other, and an interrupted replay
resumes per read model whichever way it is shared next time.

Shares are balanced by how many of the log's entries each read model handles (a sample of
``SAMPLE`` entries spread over the whole log) times its ``rebuild_cost``, the heaviest first into
the lightest share.

Workers report on their stdout, one JSON object a line: progress (``phase``, ``position``,
``target``, ``started_at``, ``elapsed``) and, at the end, the positions they switched at. The
parent draws one bar: the slowest share's position and time left. A first SIGINT/SIGTERM to the
parent is passed on to every worker, and every share stops after its batch in progress and
keeps what it built; a second aborts them.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from projections.engine.rebuild import Interrupted, Progress

SAMPLE = 20_000
WINDOWS = 20


def default_jobs() -> int:
    """Two processes where two cores are free to the replay, else one. The search index alone
    is about half a full rebuild's Python work, so a third process gains little. On 250,007
    events (``bench/bench_replay.py``, PostgreSQL): 20.5 s and 270 MB for both processes
    together, 25.2 s and 198 MB with ``--jobs 1``."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return min(2, cores)


def shares(events: Any, projections: Sequence[Any], jobs: int) -> list[list[Any]]:
    """``projections`` in at most ``jobs`` groups of about equal work."""
    if jobs <= 1 or len(projections) <= 1:
        return [list(projections)]
    weight = weights(events, projections)
    groups: list[list[Any]] = [[] for _ in range(min(jobs, len(projections)))]
    loads = [0.0] * len(groups)
    for projection in sorted(projections, key=lambda p: -weight[p.name]):
        lightest = loads.index(min(loads))
        groups[lightest].append(projection)
        loads[lightest] += weight[projection.name]
    return [g for g in groups if g]


def weights(events: Any, projections: Sequence[Any]) -> dict[str, float]:
    """Each read model's share of the rebuild's work: the sampled entries it handles, times
    its ``rebuild_cost`` (one more, so a read model with nothing to do still counts)."""
    counts = Counter(str(entry.topic) for entry in sample_entries(events))
    return {p.name: 1 + p.rebuild_cost * sum(counts[t] for t in p.topics) for p in projections}


def sample_entries(events: Any) -> list[Any]:
    """About ``SAMPLE`` entries in ``WINDOWS`` runs spread evenly over the log: a history is
    rarely alike from end to end (a catalog loaded first, learners' completions after it), and
    the last entries alone once gave the search index, the heaviest read model, no weight."""
    head = events.last_position()
    if head <= SAMPLE:
        return list(events.read_entries(0, SAMPLE, (), None))
    run = SAMPLE // WINDOWS
    sample: list[Any] = []
    for window in range(WINDOWS):
        after = (head - run) * window // (WINDOWS - 1)
        sample += events.read_entries(after, run, (), None)
    return sample


# -- in a worker ----------------------------------------------------------------------------
_last_report = 0.0


def report_progress(progress: Progress) -> None:
    global _last_report
    now = time.monotonic()
    if progress.phase == "fill" and progress.position < progress.target and now - _last_report < 0.2:
        return
    _last_report = now
    print(json.dumps({
        "phase": progress.phase, "position": progress.position, "target": progress.target,
        "started_at": progress.started_at, "elapsed": progress.elapsed,
    }), flush=True)


def report_done(positions: dict[str, int], head: int) -> None:
    print(json.dumps({"done": positions, "head": head}), flush=True)


# -- in the parent --------------------------------------------------------------------------
class _Worker:
    def __init__(self, names: list[str], args: argparse.Namespace) -> None:
        command = [
            sys.executable, "-m", "api.cli", "replay", "--worker", "--batch-size", str(args.batch_size),
            *(["--restart"] if args.restart else []),
            *(part for name in names for part in ("--projection", name)),
        ]
        self.names = names
        # A session of its own: the terminal's Ctrl-C reaches the parent, which passes it on once.
        self.process = subprocess.Popen(  # noqa: S603 - this program, with read model names
            command, stdout=subprocess.PIPE, text=True, start_new_session=True
        )
        self.progress: dict[str, Any] | None = None
        self.done: dict[str, int] = {}
        self.head = 0
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if "done" in message:
                self.done, self.head = message["done"], message["head"]
            else:
                self.progress = message


class Here:
    """The share the parent rebuilds itself, told like a worker's: its progress as it goes,
    the positions it switched at, and its exit code."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.progress: dict[str, Any] | None = None
        self.done: dict[str, int] = {}
        self.head = 0
        self.code = 0

    def report(self, progress: Progress) -> None:
        self.progress = {
            "phase": progress.phase, "position": progress.position, "target": progress.target,
            "started_at": progress.started_at, "elapsed": progress.elapsed,
        }


def combined(workers: Sequence[_Worker | Here], names: tuple[str, ...]) -> Progress | None:
    """The slowest worker's progress (its position and rate say when all will be done)."""
    seen = [w.progress for w in workers if w.progress is not None]
    if not seen:
        return None
    slowest = min(seen, key=lambda p: (p["phase"] != "fill", _fraction(p)))
    return Progress(
        slowest["phase"], names, slowest["position"], slowest["target"], slowest["started_at"], slowest["elapsed"]
    )


def _fraction(p: dict[str, Any]) -> float:
    return float(p["position"]) / max(float(p["target"]), 1.0)


#: the parent's own share: (its progress callback, its stop event) -> positions it switched at
#: and the log's head; raises ``Interrupted`` when stopped
RebuildHere = Callable[[Callable[[Progress], None], threading.Event], tuple[dict[str, int], int]]


def run_jobs(
    groups: list[list[Any]], args: argparse.Namespace, bar_of: Callable[[str], Any], here: RebuildHere
) -> int:
    """The first share rebuilt in this process (``here``), every other one by a worker: the
    parent has the stores and read models built already, and one process fewer is one
    process's memory less (about 130 MB at the peak of a share)."""
    names = tuple(p.name for g in groups for p in g)
    sys.stderr.write(f"{len(groups)} processes: {' | '.join(', '.join(p.name for p in g) for g in groups)}\n")
    bar = bar_of(f"rebuilding {len(names)} read models")
    workers = [_Worker([p.name for p in g], args) for g in groups[1:]]
    own = Here([p.name for p in groups[0]])
    everyone: list[_Worker | Here] = [own, *workers]
    stop = threading.Event()
    signals = {"count": 0}
    shown: list[Progress | None] = [None]

    def draw() -> None:
        progress = combined(everyone, names)
        if progress is not None and progress != shown[0]:
            bar(progress)
            shown[0] = progress

    def forward(signum: int, frame: Any) -> None:
        signals["count"] += 1
        for w in workers:
            if w.process.poll() is None:
                w.process.send_signal(signal.SIGTERM)
        if signals["count"] == 1:
            sys.stderr.write("\nstopping after this batch (again to abort it)...\n")
            stop.set()
        elif not own.done and own.code == 0:
            raise KeyboardInterrupt

    def report(progress: Progress) -> None:
        own.report(progress)
        draw()

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            own.done, own.head = here(report, stop)
        except (Interrupted, KeyboardInterrupt):
            own.code = 130
        except Exception:  # told like a worker's failure, once the workers are done
            traceback.print_exc()
            own.code = 1
        while any(w.process.poll() is None for w in workers):
            draw()
            time.sleep(0.1)
        draw()
        for w in workers:
            w.reader.join(timeout=5)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    codes = [own.code, *(w.process.returncode for w in workers)]
    sys.stderr.write("\n")
    failed = [(w, c) for w, c in zip(everyone, codes, strict=True) if c not in (0, 130)]
    stopped = [w for w, c in zip(everyone, codes, strict=True) if c == 130]
    for one in everyone:
        for name, position in one.done.items():
            sys.stderr.write(f"{name:<18} rebuilt to position {position} of {one.head}\n")
    for one, code in failed:
        sys.stderr.write(f"rebuilding {', '.join(one.names)} failed (exit code {code})\n")
    if failed:
        return 1
    if stopped:
        sys.stderr.write(
            f"interrupted: {', '.join(n for w in stopped for n in w.names)} not switched; their live read models"
            " are unchanged. Run `learnstream replay` again to resume, or with --restart to start over.\n"
        )
        return 130
    return 0

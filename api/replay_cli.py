"""``learnstream replay``: read models rebuilt from the whole log, in bulk, beside the live ones.

Every named projection (all built-in ones by default) is rebuilt in one pass over the log into
fresh tables while the live tables keep serving, then switched to atomically; a progress bar
shows the rate and the time left. Ctrl-C (or SIGTERM) stops after the batch in progress: the
live tables are untouched and the next ``replay`` resumes where this one stopped
(``--restart`` throws the half-built copy away instead).

``--projection package.module:Class`` rebuilds a projection of one's own (a ``Projection``
subclass whose constructor takes the read store), into the application's read store or, with
``--into PATH``, into a SQLite file of its own.

With ``--jobs N`` the built-in read models are shared out over N processes (``replay_jobs``),
each one pass over the log for its share: a rebuild is Python work per event, and one process
uses one core however many the machine has.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import signal
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from infrastructure.settings import Settings


def add_replay_command(sub: Any) -> None:
    replay = sub.add_parser("replay", help="rebuild read models from the whole log")
    replay.add_argument(
        "--projection", action="append", metavar="NAME|module:Class",
        help="a built-in read model by name, or a Projection subclass by import path"
        " (repeatable; default: every built-in read model)",
    )
    replay.add_argument("--into", metavar="PATH", help="a SQLite file to build module:Class projections into")
    replay.add_argument("--restart", action="store_true", help="discard a half-done rebuild instead of resuming it")
    replay.add_argument("--batch-size", type=int, default=2_500, help="log entries per transaction")
    replay.add_argument(
        "--jobs", type=int, default=0,
        help="processes the built-in read models are shared out over (default: 2 where two cores are free, else 1; each process takes its own memory: 1 is the smallest replay)",
    )
    replay.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    replay.set_defaults(func=cmd_replay)


class Bar:
    """One line, redrawn at most ``every`` seconds: done/total, rate and time left."""

    def __init__(self, label: str, stream: IO[str] = sys.stderr, every: float = 0.2) -> None:
        self.label, self.stream, self.every = label, stream, every
        self._shown = 0.0

    def __call__(self, progress: Any) -> None:
        now = time.monotonic()
        final = progress.position >= progress.target
        if not final and now - self._shown < self.every:
            return
        self._shown = now
        width = 30
        total = max(progress.target, 1)
        done = min(progress.position, total)
        filled = int(width * done / total)
        eta = progress.eta
        left = "--:--" if eta is None else f"{int(eta) // 60}:{int(eta) % 60:02d}"
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {progress.position}/{progress.target}"
            f" {100 * done / total:5.1f}%  {progress.rate:,.0f} events/s  {left} left  ({progress.phase})"
        )
        self.stream.flush()


def load_projection(spec: str) -> type:
    """``package.module:Class`` -> the class (a ``Projection`` subclass)."""
    from projections.engine.framework import Projection

    module_name, _, class_name = spec.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Projection)):
        raise SystemExit(f"{spec} is not a Projection subclass")
    return cls


def cmd_replay(args: argparse.Namespace) -> int:
    from projections.engine.framework import ensure_tracking
    from projections.engine.rebuild import Interrupted

    specs = args.projection or []
    custom = [s for s in specs if ":" in s]
    names = [s for s in specs if ":" not in s]
    settings = Settings.from_env()
    closers: list[Any] = []
    try:
        if args.into:
            if names or not custom:
                print("--into takes module:Class projections only", file=sys.stderr)
                return 2
            from infrastructure.event_store import EventStore
            from infrastructure.read_store import SqliteReadStore

            events = EventStore(settings)
            store = SqliteReadStore(Path(args.into))
            closers += [events.close, store.close]
            ensure_tracking(store)
            projections = [load_projection(s)(store) for s in custom]
        else:
            from api.stores import build_projections, build_stores

            # The stores and read models only: the services (a password hasher's 64 MB among
            # them) serve requests, and a replay process serves none.
            stores = build_stores(settings)
            closers += [stores.events.close, stores.read_store.close]
            events = stores.events
            built = build_projections(stores.read_store, events).by_name()
            unknown = [n for n in names if n not in built]
            if unknown:
                known = ", ".join(built)
                print(f"unknown projection(s): {', '.join(unknown)}; known: {known}", file=sys.stderr)
                return 2
            chosen = names or ([] if custom else list(built))
            projections = [built[n] for n in chosen]
            projections += [load_projection(s)(stores.read_store) for s in custom]
        if not args.worker and not custom:
            from api.replay_jobs import default_jobs, run_jobs, shares

            jobs = args.jobs or default_jobs()
            groups = shares(events, projections, jobs)
            if len(groups) > 1:
                here = groups[0]

                def rebuild_here(progress: Any, stop: threading.Event) -> tuple[dict[str, int], int]:
                    return _rebuild(events, here, args, progress, stop, spare_core=False), events.last_position()

                return run_jobs(groups, args, Bar, rebuild_here)
        stop = threading.Event()
        previous = _stop_on_signals(stop)
        label = projections[0].name if len(projections) == 1 else f"{len(projections)} read models"
        if args.worker:
            from api.replay_jobs import report_progress

            progress: Any = report_progress
        else:
            progress = Bar(f"rebuilding {label}")
        try:
            positions = _rebuild(events, projections, args, progress, stop, spare_core=not args.worker)
        except Interrupted as stopped:
            sys.stderr.write(
                f"\ninterrupted ({stopped}); the live read models are unchanged."
                " Run `learnstream replay` again to resume, or with --restart to start over.\n"
            )
            return 130
        finally:
            _restore(previous)
        head = events.last_position()
        if args.worker:
            from api.replay_jobs import report_done

            report_done(positions, head)
            return 0
        sys.stderr.write("\n")
        for name, position in positions.items():
            sys.stderr.write(f"{name:<18} rebuilt to position {position} of {head}\n")
        return 0
    finally:
        for close in reversed(closers):
            close()


def _rebuild(
    events: Any, projections: list[Any], args: argparse.Namespace, progress: Any, stop: threading.Event,
    spare_core: bool = True,
) -> dict[str, int]:
    """Rebuild ``projections`` in this process: the positions they were switched at.
    ``spare_core``: no other replay process shares the machine's cores with this one."""
    from projections.engine.rebuild import Rebuild
    from projections.engine.rebuild_state import pending

    if not args.restart:
        for projection in projections:
            row = pending(projection.store, projection)
            if row is not None:
                sys.stderr.write(
                    f"resuming {row.name} v{row.version} from position {row.position}"
                    f" (started {row.started_at})\n"
                )
    # What is built so far lives as long as the command: frozen, it is out of the
    # collections the rebuild's batches cause (as in ``serve`` and ``export``).
    gc.freeze()
    rebuild = Rebuild(
        events, projections, batch_size=args.batch_size, restart=args.restart, progress=progress, stop=stop,
        spare_core=spare_core,
    )
    return rebuild.run()


def _stop_on_signals(stop: threading.Event) -> dict[int, Any]:
    """The first SIGINT/SIGTERM stops after the batch in progress; a second one interrupts."""
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        sys.stderr.write("\nstopping after this batch (again to abort it)...\n")

    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, handler)
    return previous


def _restore(previous: dict[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)

"""``learnstream export`` and ``learnstream verify-export``: audit exports from the command line.

``export`` writes the same records as ``GET /api/v1/orgs/{org_id}/audit/events`` (every org
when ``--org`` is left out), as NDJSON, CSV or Parquet (one file per month in ``--out``), with a
progress bar when stderr is a terminal. ``verify-export`` checks a file (or a directory of
Parquet files) and names the first record that was altered, dropped or reordered.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from infrastructure.settings import Settings

if TYPE_CHECKING:  # the application is imported by the commands, after the metrics setup
    from application.audit_export import Exported


def add_history_commands(sub: Any) -> None:
    export = sub.add_parser("export", help="the audit export: NDJSON, CSV or Parquet")
    export.add_argument("--org", help="org id, uuid or slug (default: every org)")
    export.add_argument("--since", help="ISO-8601 date or time (inclusive)")
    export.add_argument("--until", help="ISO-8601 date or time (exclusive)")
    export.add_argument("--types", help="event names, separated by commas")
    export.add_argument("--after", type=int, default=0, help="only events after this position")
    export.add_argument("--format", choices=("ndjson", "csv", "parquet"), default="ndjson")
    export.add_argument("--out", help="file (ndjson, csv; default: stdout) or directory (parquet)")
    export.set_defaults(func=cmd_export)
    check = sub.add_parser("verify-export", help="check an audit export's hash chain")
    check.add_argument("file", help="an NDJSON or CSV export, or a directory of Parquet files")
    check.add_argument(
        "--allow-gaps", action="store_true", help="a filtered export: records may be missing"
    )
    check.add_argument("--anchor", help="the last hash of the previous pull (after=N)")
    check.set_defaults(func=cmd_verify_export)


class Progress:
    """A bar over log positions on a terminal; nothing otherwise."""

    def __init__(self, start: int, end: int, stream: IO[str] = sys.stderr) -> None:
        self.start, self.end, self.stream = start, end, stream
        self.enabled = stream.isatty()
        self.records = 0
        self.started = time.monotonic()

    def show(self, position: int, records: int) -> None:
        self.records += records
        if not self.enabled:
            return
        span = max(self.end - self.start, 1)
        done = min(max(position - self.start, 0), span)
        filled = int(30 * done / span)
        rate = self.records / max(time.monotonic() - self.started, 1e-6)
        self.stream.write(
            f"\rexport [{'#' * filled}{'.' * (30 - filled)}] {100 * done / span:5.1f}%"
            f" {self.records} records {rate:,.0f}/s"
        )
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\n")


def _tracked(pages: Iterable[list[Exported]], progress: Progress) -> Iterator[list[Exported]]:
    for page in pages:
        if page:
            progress.show(int(page[-1].record["position"]), len(page))
        yield page


def _org_uuid(container: Any, ref: str) -> str:
    from domain.errors import NotFound

    try:
        return str(container.orgs.org_uuid(ref))
    except NotFound:
        return str(container.orgs.org_uuid_by_slug(ref))


def _catch_up_chain(container: Any) -> None:
    from projections.engine.followers import Follower

    follower = Follower(container.projections["audit_chain"], container.events, container.board, 1000)
    follower.start()
    follower.catch_up()
    follower.flush()


def run_export(container: Any, args: argparse.Namespace, stdout: IO[bytes]) -> int:
    from application.audit_export import ExportRequest
    from application.export_formats import chunks
    from infrastructure.finished_files import finished_file

    _catch_up_chain(container)
    request = ExportRequest(
        since=args.since, until=args.until, after=args.after,
        types=[t.strip() for t in (args.types or "").split(",") if t.strip()],
    )
    org_uuid = _org_uuid(container, args.org) if args.org else None
    plan = container.audit_export.plan_unchecked(org_uuid, request)
    progress = Progress(args.after, plan.upto)
    pages = _tracked(container.audit_export.pages(plan), progress)
    if args.format == "parquet":
        if not args.out:
            print("--format parquet needs --out DIRECTORY", file=sys.stderr)
            return 2
        from infrastructure.parquet_export import ParquetExport

        try:
            target = ParquetExport(Path(args.out))
        except FileExistsError as error:
            print(f"export: {error}", file=sys.stderr)
            return 2
        try:
            for page in pages:
                target.write(page)
        except BaseException:
            target.discard()
            raise
        files = target.close()
        progress.finish()
        print(f"{progress.records} records in {len(files)} file(s) under {args.out}", file=sys.stderr)
        return 0
    with contextlib.ExitStack() as stack:
        target_file = stack.enter_context(finished_file(Path(args.out))) if args.out else stdout
        for chunk in chunks(args.format, pages):
            target_file.write(chunk)
    progress.finish()
    print(f"{progress.records} records up to position {plan.upto}", file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from api.bootstrap import Container
    from domain.errors import DomainError

    container = Container.build(Settings.from_env())
    # The application's objects live as long as the command: frozen, they are out of every
    # garbage collection the export's short-lived records cause (half its time otherwise).
    gc.freeze()
    try:
        return run_export(container, args, sys.stdout.buffer)
    except DomainError as error:
        print(f"export: {error}", file=sys.stderr)
        return 2
    finally:
        container.close()


def cmd_verify_export(args: argparse.Namespace) -> int:
    from application.export_verify import read_rows, verify

    path = Path(args.file)
    if not path.exists():
        print(f"no such file: {path}", file=sys.stderr)
        return 2
    verdict = verify(read_rows(path), allow_gaps=args.allow_gaps, anchor=args.anchor)
    if verdict.problem is not None:
        print(f"FAILED: {verdict.problem}")
        return 1
    heads = ", ".join(f"{org} #{seq} {digest}" for org, (seq, digest) in verdict.heads.items())
    print(f"OK: {verdict.records} records; last per org: {heads or 'none'}")
    return 0

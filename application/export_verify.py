"""Checking an audit export: the first record that was altered, dropped or reordered.

Each record's ``hash`` must be ``sha256(prev ‖ canonical JSON of the record)``; within an org,
records must follow each other (``seq`` 1, 2, 3, ...) and each ``prev`` must be the hash of the
org's record before it. A filtered export has gaps by design (``allow_gaps``): its records are
checked one by one and for order. ``anchor`` is the last hash of the previous pull: the file's
first record must continue from it.

Only an absent last record cannot be seen from the file alone: compare the last hash with
the one the next pull continues from.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from application.audit_records import RECORD_KEYS, canonical, chained

_decode = msgspec.json.Decoder().decode


@dataclass(frozen=True)
class Problem:
    line: int
    kind: str  # altered | dropped | reordered | unreadable
    detail: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.kind}: {self.detail}"


@dataclass
class Verdict:
    records: int = 0
    problem: Problem | None = None
    #: org -> (last seq, last hash) seen
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.problem is None


Row = tuple[int, dict[str, Any], str, str]  # (line, record, prev, hash)


def _from_json_line(line: int, text: bytes) -> Row:
    obj = _decode(text)
    return line, {k: obj.get(k) for k in RECORD_KEYS}, str(obj["prev"]), str(obj["hash"])


def _from_csv(line: int, row: dict[str, str]) -> Row:
    record: dict[str, Any] = {k: row[k] for k in RECORD_KEYS}
    for key in ("seq", "position", "version"):
        record[key] = int(record[key])
    for key in ("actor", "request_id"):
        record[key] = record[key] or None
    record["data"] = _decode(record["data"])
    return line, record, row["prev"], row["hash"]


def read_rows(path: Path) -> Iterator[Row | Problem]:
    """Records of an NDJSON, CSV or Parquet export (a directory: its Parquet files, in name
    order). A line that cannot be read is a ``Problem``."""
    if path.is_dir() or path.suffix == ".parquet":
        from infrastructure.parquet_export import read_parquet_rows

        files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
        yield from read_parquet_rows(files)
        return
    with path.open("rb") as handle:
        first = handle.read(1)
        handle.seek(0)
        if first == b"{" or path.suffix in (".ndjson", ".jsonl"):
            for number, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                try:
                    yield _from_json_line(number, text)
                except (msgspec.DecodeError, KeyError, TypeError) as error:
                    yield Problem(number, "unreadable", str(error))
            return
    with path.open(newline="", encoding="utf-8") as text_handle:
        for number, row in enumerate(csv.DictReader(text_handle), start=2):
            try:
                yield _from_csv(number, row)
            except (KeyError, ValueError, TypeError, msgspec.DecodeError) as error:
                yield Problem(number, "unreadable", str(error))


def verify(rows: Iterable[Row | Problem], allow_gaps: bool = False, anchor: str | None = None) -> Verdict:
    verdict = Verdict()
    last_line: dict[str, int] = {}
    stream = iter(rows)
    for item in stream:
        if isinstance(item, Problem):
            verdict.problem = item
            return verdict
        line, record, prev, digest = item
        verdict.records += 1
        org, seq = str(record["org"]), int(record["seq"])
        if chained(prev, canonical(record)) != digest:
            verdict.problem = Problem(line, "altered", f"record {org}#{seq} does not match its hash")
            return verdict
        head = verdict.heads.get(org)
        if head is None:
            if anchor is not None and prev != anchor:
                verdict.problem = Problem(
                    line, "dropped", "the first record does not continue from the anchor hash"
                )
                return verdict
        elif seq <= head[0]:
            verdict.problem = Problem(
                line, "reordered", f"record {org}#{seq} comes after {org}#{head[0]}"
            )
            return verdict
        elif seq == head[0] + 1 and prev != head[1]:
            verdict.problem = Problem(
                last_line[org], "altered",
                f"record {org}#{head[0]} is not the one {org}#{seq} was chained to",
            )
            return verdict
        elif seq > head[0] + 1 and not allow_gaps:
            missing = set(range(head[0] + 1, seq))
            verdict.problem = _gap(line, org, head[0], seq, missing, stream)
            return verdict
        verdict.heads[org] = (seq, digest)
        last_line[org] = line
    return verdict


def _gap(
    line: int, org: str, before: int, at: int, missing: set[int], rest: Iterator[Row | Problem]
) -> Problem:
    """Records missing at ``line``: reordered if one of them turns up later, else dropped."""
    for item in rest:
        if isinstance(item, Problem):
            continue
        record = item[1]
        if str(record["org"]) == org and int(record["seq"]) in missing:
            return Problem(
                line, "reordered",
                f"{org}#{at} comes before {org}#{record['seq']} (at line {item[0]})",
            )
    first, last = before + 1, at - 1
    span = f"#{first}" if first == last else f"#{first}..#{last}"
    return Problem(line, "dropped", f"record {org}{span} is missing before {org}#{at}")

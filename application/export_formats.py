"""NDJSON and CSV renderings of audit export pages: one chunk of bytes per page.

NDJSON: one record per line, ``{...record, "hash", "prev"}``. CSV: a header row, then one row
per record with the columns of ``CSV_COLUMNS``; ``data`` holds the canonical JSON of the event
data, and an absent ``actor`` or ``request_id`` is an empty cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

import msgspec

from application.audit_export import Exported
from application.audit_records import exported_line

CSV_COLUMNS = (
    "org", "seq", "position", "time", "event", "aggregate_type", "aggregate_uuid", "version",
    "actor", "request_id", "data", "prev", "hash",
)
FORMATS = {"ndjson": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}

_data_json = msgspec.json.Encoder(order="sorted").encode


def ndjson_chunks(pages: Iterable[list[Exported]]) -> Iterator[bytes]:
    for page in pages:
        if page:
            yield b"".join(exported_line(e.canonical, e.prev, e.hash) for e in page)


def csv_row(e: Exported) -> list[Any]:
    r = e.record
    return [
        r["org"], r["seq"], r["position"], r["time"], r["event"], r["aggregate_type"],
        r["aggregate_uuid"], r["version"], r["actor"] or "", r["request_id"] or "",
        _data_json(r["data"]).decode(), e.prev, e.hash,
    ]


def csv_chunks(pages: Iterable[list[Exported]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue().encode()
    for page in pages:
        if not page:
            continue
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(csv_row(e) for e in page)
        yield buffer.getvalue().encode()


def chunks(format_name: str, pages: Iterable[list[Exported]]) -> Iterator[bytes]:
    return csv_chunks(pages) if format_name == "csv" else ndjson_chunks(pages)

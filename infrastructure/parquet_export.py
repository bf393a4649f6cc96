"""Audit exports as Apache Parquet: one file per month (``events-YYYY-MM.parquet``), typed
columns, the event data as a JSON text column. DuckDB, pandas, Polars and Spark read the files
as they are (``read_parquet('export/*.parquet')``).

Rows are buffered per month and written as a row group every ``ROW_GROUP`` rows, so memory
stays a few row groups whatever the size of the export. Each file is written under a
``.partial`` name and renamed when the export completes (``infrastructure.finished_files``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from application.audit_export import Exported
from infrastructure.finished_files import discard, partial_of, publish

ROW_GROUP = 20_000
SCHEMA = pa.schema([
    ("org", pa.string()),
    ("seq", pa.int64()),
    ("position", pa.int64()),
    ("time", pa.timestamp("us", tz="UTC")),
    ("event", pa.string()),
    ("aggregate_type", pa.string()),
    ("aggregate_uuid", pa.string()),
    ("version", pa.int64()),
    ("actor", pa.string()),
    ("request_id", pa.string()),
    pa.field("data", pa.string(), metadata={"format": "json"}),
    ("prev", pa.string()),
    ("hash", pa.string()),
])
_STRING_KEYS = ("org", "event", "aggregate_type", "aggregate_uuid", "actor", "request_id")
_data_json = msgspec.json.Encoder(order="sorted").encode


class _Month:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer: pq.ParquetWriter | None = None
        self.columns: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}
        self.rows = 0

    def add(self, e: Exported) -> None:
        r, c = e.record, self.columns
        for key in ("org", "seq", "position", "time", "event", "aggregate_type",
                    "aggregate_uuid", "version", "actor", "request_id"):
            c[key].append(r[key])
        c["data"].append(_data_json(r["data"]).decode())
        c["prev"].append(e.prev)
        c["hash"].append(e.hash)
        self.rows += 1
        if self.rows >= ROW_GROUP:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        arrays = []
        for name in SCHEMA.names:
            if name == "time":
                arrays.append(pa.array(self.columns[name], pa.string()).cast(SCHEMA.field("time").type))
            else:
                arrays.append(pa.array(self.columns[name], SCHEMA.field(name).type))
        table = pa.Table.from_arrays(arrays, schema=SCHEMA)
        if self.writer is None:
            self.writer = pq.ParquetWriter(partial_of(self.path), SCHEMA, compression="zstd")
        self.writer.write_table(table)
        self.columns = {name: [] for name in SCHEMA.names}
        self.rows = 0

    def close(self) -> None:
        self.flush()
        if self.writer is not None:
            self.writer.close()
            publish(self.path)

    def discard(self) -> None:
        if self.writer is not None:
            self.writer.close()
        discard(self.path)


class ParquetExport:
    """Writes pages of records into ``directory``, one file per month of the records' time."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        earlier = sorted(p.name for p in directory.glob("events-*.parquet*"))
        if earlier:  # verifying the directory would mix that export's months with this one's
            raise FileExistsError(f"{directory} already holds an export ({earlier[0]}): choose an empty directory")
        self.directory = directory
        self._months: dict[str, _Month] = {}

    def write(self, page: Iterable[Exported]) -> int:
        written = 0
        for e in page:
            month = str(e.record["time"] or "unknown")[:7]
            target = self._months.get(month)
            if target is None:
                target = self._months[month] = _Month(self.directory / f"events-{month}.parquet")
            target.add(e)
            written += 1
        return written

    def close(self) -> list[Path]:
        """Finish every file and put them in place (only now do they carry their names)."""
        for month in self._months.values():
            month.close()
        return sorted(m.path for m in self._months.values() if m.writer is not None)

    def discard(self) -> None:
        """An export that failed or was interrupted: its partial files are removed."""
        for month in self._months.values():
            month.discard()


def read_parquet_rows(files: Iterable[Path]) -> Iterator[tuple[int, dict[str, Any], str, str]]:
    """Rows of exported Parquet files as (row number, record, prev, hash), for verification."""
    decode = msgspec.json.Decoder().decode
    number = 0
    for path in files:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=10_000):
            columns = batch.to_pydict()
            for i in range(batch.num_rows):
                number += 1
                record: dict[str, Any] = {key: columns[key][i] for key in _STRING_KEYS}
                for key in ("seq", "position", "version"):
                    record[key] = columns[key][i]
                moment = columns["time"][i]
                record["time"] = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if moment else None
                record["data"] = decode(columns["data"][i])
                yield number, record, columns["prev"][i], columns["hash"][i]

"""Audit records and their hash chain.

A record is built from a raw log entry (as stored, never through the typed decoder), so the
audit chain follower and every export produce the same bytes for the same entry:

    {"org", "seq", "position", "time", "event", "aggregate_type", "aggregate_uuid",
     "version", "actor", "request_id", "data"}

``seq`` numbers the org's records 1, 2, 3, ... over its whole log. The canonical form is that
object as compact JSON with keys sorted at every level, in UTF-8. Each record is chained to the
org's previous one:

    hash = sha256(prev ‖ canonical)      (prev: the previous record's hash, 64 hex digits;
                                          the first record of an org has 64 zeros)

An exported line is the record plus ``prev`` and ``hash``.
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any, Protocol

import msgspec
from eventsourcing.utils import resolve_topic

from application.audit_catalogue import AuditType, type_of
from infrastructure.event_metadata import META_KEY, split_meta

GENESIS = "0" * 64
RECORD_KEYS = (
    "org", "seq", "position", "time", "event", "aggregate_type", "aggregate_uuid", "version",
    "actor", "request_id", "data",
)

_decode = msgspec.json.Decoder().decode
_canonical = msgspec.json.Encoder(order="sorted").encode


class Entry(Protocol):
    @property
    def position(self) -> int: ...
    @property
    def originator_id(self) -> str: ...
    @property
    def originator_version(self) -> int: ...
    @property
    def topic(self) -> str: ...
    @property
    def state(self) -> bytes: ...


@cache
def _upcasters(topic: str) -> tuple[int, Any]:
    try:
        cls = resolve_topic(topic)
    except Exception:  # a class no longer in the code: its entries are shown as stored
        return 1, None
    return int(getattr(cls, "class_version", 1)), cls


def decoded_state(entry: Entry) -> tuple[dict[str, Any], dict[str, Any]]:
    """(state as the current code reads it, metadata) of a raw entry."""
    state: dict[str, Any] = _decode(entry.state)
    meta = split_meta(state)
    return _upcast(entry.topic, state), meta


def stored_state(entry: Entry) -> tuple[dict[str, Any], dict[str, Any]]:
    """(state, metadata) of a raw entry as a record shows them: personal fields as stored
    (sealed), upcast only when the entry names its class version. Unlike ``decoded_state``
    (time travel), an entry without one is shown as stored, not upcast from version 1: the
    chain hashes records, and existing chains were hashed that way."""
    state: dict[str, Any] = _decode(entry.state)
    meta = state.pop(META_KEY, None) or {}
    if "class_version" in state:
        state = _upcast(entry.topic, state)
    return state, meta


def record_of(
    entry: Entry, org: str, seq: int, kind: AuditType | None = None,
    stored: tuple[dict[str, Any], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The record of an entry, its keys in ``RECORD_KEYS`` order (``canonical`` sorts);
    ``stored``: its ``stored_state`` when the caller has it already."""
    kind = kind or type_of(entry.topic)
    state, meta = stored or stored_state(entry)
    return {
        "org": org,
        "seq": seq,
        "position": entry.position,
        "time": fixed_width(state.get("timestamp")),
        "event": kind.name,
        "aggregate_type": kind.aggregate_type,
        "aggregate_uuid": entry.originator_id,
        "version": entry.originator_version,
        "actor": meta.get("actor"),
        "request_id": meta.get("request_id"),
        "data": {name: state[name] for name in kind.fields if name in state},
    }


def _upcast(topic: str, state: dict[str, Any]) -> dict[str, Any]:
    version = state.pop("class_version", 1)
    current, cls = _upcasters(topic)
    while cls is not None and version < current:
        getattr(cls, f"upcast_v{version}_v{version + 1}")(state)
        version += 1
    return state


def fixed_width(timestamp: Any) -> Any:
    """``...:03Z`` -> ``...:03.000000Z``: the encoder drops a zero fraction, and times of one
    width sort as text (filters compare them so)."""
    if isinstance(timestamp, str) and len(timestamp) == 20 and timestamp.endswith("Z"):
        return timestamp[:-1] + ".000000Z"
    return timestamp


def canonical(record: dict[str, Any]) -> bytes:
    """Only the record's own keys count (a line read back also has ``prev`` and ``hash``)."""
    if len(record) != len(RECORD_KEYS):
        record = {key: record[key] for key in RECORD_KEYS}
    return _canonical(record)


def chained(prev: str, canonical_bytes: bytes) -> str:
    return hashlib.sha256(prev.encode("ascii") + canonical_bytes).hexdigest()


def exported_line(canonical_bytes: bytes, prev: str, digest: str) -> bytes:
    """The NDJSON line of a record: its canonical bytes with ``hash`` and ``prev`` appended
    (a line is read back as JSON, so where those two keys sit does not matter)."""
    return b"%s,\"hash\":\"%s\",\"prev\":\"%s\"}\n" % (
        canonical_bytes[:-1], digest.encode("ascii"), prev.encode("ascii")
    )

"""The audit chain: which org each event belongs to, its number in that org's log and its hash.

One row per event of an org (``links``): position, ``seq`` (1, 2, 3, ... per org), the public
event name, aggregate, actor and time (what exports filter on), and the chained ``prev`` and
``hash`` (``application.audit_records``). So an export of any slice (``after=N``, one event
type, one aggregate) carries the same hashes as a full export, without walking the chain.

An event's org: the org it names (``org_id``), the org itself for an org's events, else the
org of its aggregate or of the course it names, as learned from earlier events (``owners``).
Events of no org (a user's account and profile, uniqueness claims, personal model keys) are
in no org's chain.

Hashes are computed from the entries as stored (read back once per batch), never from decoded
events: the export reads the same bytes, so the two cannot disagree.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from application.audit_catalogue import AuditType, audit_types, event_classes
from application.audit_records import GENESIS, canonical, chained, record_of, stored_state
from infrastructure.event_store import EventStore, LoggedEvent
from infrastructure.read_store import ReadStore, Tx
from projections.engine.framework import Handler, Projection
from projections.engine.writes import Writes

_OWNER_MEMO = 100_000
LINK_COLUMNS = ("org_uuid", "position", "seq", "event", "aggregate_uuid", "actor", "time", "prev", "hash")
_LOGS: weakref.WeakKeyDictionary[Any, EventStore] = weakref.WeakKeyDictionary()


class AuditChainProjection(Projection):
    name = "audit_chain"
    version = 1
    rebuild_cost = 1.7  # each entry's stored record decoded, encoded again and hashed
    tables = {
        "links": (
            "org_uuid TEXT NOT NULL, position BIGINT NOT NULL, seq BIGINT NOT NULL,"
            " event TEXT NOT NULL, aggregate_uuid TEXT NOT NULL, actor TEXT,"
            " time TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL,"
            " PRIMARY KEY (org_uuid, position)"
        ),
        "heads": (
            "org_uuid TEXT PRIMARY KEY, seq BIGINT NOT NULL, position BIGINT NOT NULL,"
            " hash TEXT NOT NULL"
        ),
        "owners": "aggregate_uuid TEXT PRIMARY KEY, org_uuid TEXT NOT NULL",
    }
    indexes = (
        "CREATE INDEX IF NOT EXISTS {links}_position ON {links} (position)",
        "CREATE INDEX IF NOT EXISTS {links}_aggregate ON {links} (aggregate_uuid, position)",
    )

    def __init__(self, store: ReadStore, events: EventStore | None = None) -> None:
        # Built again from its store alone (a version bump, a rebuild), it reads the log its
        # store was wired to.
        found = events or _LOGS.get(store)
        if found is None:
            raise ValueError("the audit chain reads the event log: wire it with its EventStore")
        _LOGS[store] = found
        self.events = found
        self._types = audit_types()
        super().__init__(store)
        self._owners: OrderedDict[str, str] = OrderedDict()
        self._heads: dict[str, tuple[int, str]] = {}
        self._pending: list[tuple[int, str, AuditType, Any, str, Any]] = []
        self._new_owners: list[tuple[str, str]] = []

    def handlers(self) -> dict[type, Handler]:
        return {cls: self._note for _, cls in event_classes()}

    # -- memory, forgotten whenever the tables may say otherwise ------------------------
    def resumed(self) -> None:
        self._forget()

    def rolled_back(self) -> None:
        self._forget()

    def _forget(self) -> None:
        self._owners.clear()
        self._heads.clear()
        self._pending.clear()
        self._new_owners.clear()

    # -- per event: find its org ---------------------------------------------------------
    def _owner(self, tx: Tx, aggregate_uuid: str) -> str | None:
        org = self._owners.get(aggregate_uuid)
        if org is None:
            row = tx.fetchone(
                f"SELECT org_uuid FROM {self.table('owners')} WHERE aggregate_uuid = ?",
                (aggregate_uuid,),
            )
            if row is None:
                return None
            org = str(row["org_uuid"])
            self._remember(aggregate_uuid, org)
        return org

    def _remember(self, aggregate_uuid: str, org: str) -> None:
        self._owners[aggregate_uuid] = org
        if len(self._owners) > _OWNER_MEMO:
            self._owners.popitem(last=False)

    def _org_of(self, tx: Tx, kind: AuditType, fields: dict[str, Any], aggregate: str) -> str | None:
        if kind.is_org_event:
            return aggregate
        named = fields.get(kind.org_field) if kind.org_field else None
        if named:
            return _id_text(named)
        org = self._owner(tx, aggregate)
        if org is not None:
            return org
        for name in kind.parent_fields:
            parent = fields.get(name)
            if parent and (org := self._owner(tx, _id_text(parent))) is not None:
                return org
        return None

    def _note(self, tx: Tx, logged: LoggedEvent) -> None:
        # From the entry as stored: the event is never decoded into its class for the chain
        # (a rebuild of the chain alone spent a quarter of its time doing that).
        entry = logged.stored
        stored: tuple[dict[str, Any], dict[str, Any]] | None = None
        if entry is not None:
            state = stored = stored_state(entry)
            fields, kind = state[0], self._types.get(entry.topic)
        else:  # handed over without its entry: read back when the batch is hashed
            fields, kind = vars(logged.event), None
        if kind is None:  # a topic stored under an older name
            kind = self._types[get_topic(type(logged.event))]
        aggregate = logged.oid
        org = self._org_of(tx, kind, fields, aggregate)
        if org is None:
            return
        if self._owners.get(aggregate) != org:
            self._remember(aggregate, org)
            self._new_owners.append((aggregate, org))
        self._pending.append((logged.position, org, kind, entry, aggregate, stored))

    # -- per batch: hash what was noted, from the entries as stored ------------------------
    def _head(self, tx: Tx, org: str) -> tuple[int, str]:
        head = self._heads.get(org)
        if head is None:
            row = tx.fetchone(
                f"SELECT seq, hash FROM {self.table('heads')} WHERE org_uuid = ?", (org,)
            )
            head = (int(row["seq"]), str(row["hash"])) if row else (0, GENESIS)
        return head

    def before_commit(self, tx: Writes) -> None:
        pending, self._pending = self._pending, []
        owners, self._new_owners = self._new_owners, []
        if owners:
            tx.executemany(
                f"INSERT INTO {self.table('owners')} (aggregate_uuid, org_uuid) VALUES (?, ?)"
                " ON CONFLICT (aggregate_uuid) DO NOTHING",
                owners,
            )
        if not pending:
            return
        missing = [position for position, _, _, entry, _, _ in pending if entry is None]
        stored = self._read_back(missing[0], missing[-1]) if missing else {}
        links: list[tuple[Any, ...]] = []
        touched: dict[str, tuple[int, int, str]] = {}
        for position, org, kind, entry, aggregate, state in pending:
            if entry is None:
                entry = stored[position]
            seq, prev = self._head(tx, org)
            record = record_of(_Raw(entry, aggregate), org, seq + 1, kind, state)
            digest = chained(prev, canonical(record))
            self._heads[org] = (seq + 1, digest)
            touched[org] = (seq + 1, position, digest)
            links.append((
                org, position, seq + 1, kind.name, record["aggregate_uuid"], record["actor"],
                record["time"] or "", prev, digest,
            ))
        tx.insert_rows(self.table("links"), LINK_COLUMNS, links)  # positions are new keys
        tx.executemany(
            f"INSERT INTO {self.table('heads')} (org_uuid, seq, position, hash) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (org_uuid) DO UPDATE SET seq = excluded.seq,"
            " position = excluded.position, hash = excluded.hash",
            [(org, *head) for org, head in touched.items()],
        )


    def _read_back(self, first: int, last: int) -> dict[int, Any]:
        """The entries from ``first`` to ``last`` (ids may have gaps: a failed append burns
        its sequence numbers, so this reads on until ``last`` is in)."""
        stored: dict[int, Any] = {}
        after = first - 1
        while after < last:
            # Plain rows (``read_entries``): the library's notification objects cost several
            # times the read itself, and a rebuild reads back every entry of the log.
            page = self.events.read_entries(after, max(last - after, 1), (), last)
            if not page:
                break
            stored.update((n.id, n) for n in page)
            after = page[-1].id
        return stored


class _Raw:
    """A notification read back, seen as an ``application.audit_records.Entry``."""

    __slots__ = ("originator_id", "originator_version", "position", "state", "topic")

    def __init__(self, notification: Any, originator_id: str) -> None:
        self.position = int(notification.id)
        self.originator_id = originator_id
        self.originator_version = int(notification.originator_version)
        self.topic = str(notification.topic)
        self.state = bytes(notification.state)


def _id_text(value: Any) -> str:
    """An id named in an event, as text in the canonical form ``str(UUID)`` gives (a stored
    UUID already has it; any other value is read as a UUID when it is one)."""
    text = str(value)
    if len(text) == 36 and text == text.lower():
        return text
    try:
        return str(UUID(text))
    except ValueError:
        return text

"""The audit export: an org's events, filtered, streamed page by page with their chain hashes.

Pages of chain links come from the audit chain read model (keyset paging over an index), the
entries themselves from the log in one query per page, and each page is written before the
next is read: memory holds one page whatever the size of the export.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from application.audit_catalogue import expand_names
from application.audit_export_prefetch import read_ahead
from application.audit_records import Entry, canonical, record_of
from application.authorization import Authorization, Principal
from application.ports import ReadModelBarrier
from domain.errors import Forbidden, InvalidInput, Unauthenticated
from projections.queries.audit import AuditFilter, AuditQueries

PAGE = 2000
AUDIT_MODELS = ("audit_chain",)


class RawLog(Protocol):
    def entries(self, positions: Sequence[int]) -> Sequence[Entry]: ...
    def between(self, first: int, last: int) -> Sequence[Entry]: ...


@dataclass(frozen=True)
class ExportRequest:
    """Filters as a caller gives them (query string or command line)."""

    since: str | None = None
    until: str | None = None
    after: int = 0
    types: Sequence[str] = ()
    aggregate: str | None = None
    actor: str | None = None


@dataclass(slots=True)
class Exported:
    record: dict[str, Any]
    canonical: bytes
    prev: str
    hash: str


@dataclass
class ExportPlan:
    filter: AuditFilter
    #: the last position the export covers (its ``upto``): the next incremental pull's ``after``
    upto: int


def parse_time(raw: str | None, name: str) -> str | None:
    """ISO-8601 (a date, or a time with or without offset; naive means UTC) -> the chain's
    fixed-width UTC text."""
    if raw is None or raw == "":
        return None
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{name} must be an ISO-8601 date or time", field=name) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_aggregate(raw: str | None) -> str | None:
    """A bare uuid or a prefixed public id (``course_<uuid>``)."""
    if not raw:
        return None
    text = raw.strip().rsplit("_", 1)[-1]
    try:
        return str(UUID(text))
    except ValueError:
        raise InvalidInput("aggregate must be a uuid or a prefixed id", field="aggregate") from None


def parse_actor(raw: str | None) -> str | None:
    """``user:<uuid>``, ``token:<uuid>``, ``system:<name>`` or ``anonymous`` (a public
    ``user_<uuid>`` or ``apitoken_<uuid>`` works too)."""
    if not raw:
        return None
    text = raw.strip()
    for prefix, kind in (("user_", "user:"), ("apitoken_", "token:")):
        if text.startswith(prefix):
            return kind + text.removeprefix(prefix)
    return text


def build_filter(request: ExportRequest, org_uuid: str | None, upto: int) -> AuditFilter:
    if request.after < 0:
        raise InvalidInput("after must be a log position (0 or more)", field="after")
    try:
        events = expand_names(request.types) if request.types else None
    except ValueError as error:
        raise InvalidInput(str(error), field="types") from None
    return AuditFilter(
        org_uuid=org_uuid, after=request.after, upto=upto,
        since=parse_time(request.since, "since"), until=parse_time(request.until, "until"),
        events=events, aggregate_uuid=parse_aggregate(request.aggregate),
        actor=parse_actor(request.actor),
    )


class AuditExport:
    def __init__(
        self,
        queries: AuditQueries,
        log: RawLog,
        authz: Authorization,
        org_uuid_of: Callable[[str | int], str],
        board: ReadModelBarrier,
        log_head: Callable[[], int],
        timeout: float,
    ) -> None:
        self._q = queries
        self._log = log
        self._authz = authz
        self._org_uuid_of = org_uuid_of
        self._board = board
        self._log_head = log_head
        self._timeout = timeout

    def require_auditor(self, principal: Principal, org_uuid: str) -> None:
        """Org admins (the ``audit`` right of their role), or a token of the org holding it."""
        if principal.is_anonymous:
            raise Unauthenticated("You should be logged in to perform this action")
        if principal.token is not None:
            self._authz.require_token_org(principal, org_uuid)
            if not principal.token.rights.get("audit", {}).get("action_read", False):
                raise Forbidden(
                    "API token does not have 'read' permission for audit",
                    code="TOKEN_RIGHT_MISSING",
                )
            return
        self._authz.require(principal, org_uuid, "audit", "read")

    def plan(self, principal: Principal, org_ref: str | int, request: ExportRequest) -> ExportPlan:
        org_uuid = self._org_uuid_of(org_ref)
        self.require_auditor(principal, org_uuid)
        return self.plan_unchecked(org_uuid, request)

    def plan_unchecked(self, org_uuid: str | None, request: ExportRequest) -> ExportPlan:
        """For the operator's command line (no caller: whoever runs it holds the database)."""
        upto = self.caught_up()
        return ExportPlan(build_filter(request, org_uuid, upto), upto)

    def caught_up(self) -> int:
        """Wait (bounded) until the chain covers the log as it is now; the position it covers."""
        head = self._log_head()
        if head and self._board.wait(head, AUDIT_MODELS, self._timeout):
            return head
        return self._q.chain_position()

    def pages(self, plan: ExportPlan, page: int = PAGE) -> Iterator[list[Exported]]:
        """The export's records, a page at a time; the next pages are read meanwhile."""
        for links, entries in read_ahead(self._reads(plan.filter, page)):
            out: list[Exported] = []
            append = out.append
            for link in links:
                entry = entries.get(link["position"])
                if entry is None:  # the log lost an entry the chain holds: show the gap
                    continue
                record = record_of(entry, link["org_uuid"], link["seq"])
                append(Exported(record, canonical(record), link["prev"], link["hash"]))
            yield out

    def _reads(self, f: AuditFilter, page: int) -> Iterator[tuple[list[dict[str, Any]], dict[int, Entry]]]:
        """Pages of chain links, each with the log entries it names (by position)."""
        after = f.after
        while True:
            links = self._q.page(f, after, page)
            if not links:
                return
            first, last = int(links[0]["position"]), int(links[-1]["position"])
            # A dense page (an unfiltered export, most of one org's log) is one range read of
            # the log in its own order; a sparse one (a filter) reads the positions it needs.
            if last - first < 2 * len(links):
                found = self._log.between(first, last)
            else:
                found = self._log.entries([r["position"] for r in links])
            yield links, {e.position: e for e in found}
            after = last

"""Time travel: an aggregate's events, and its state at any past moment rebuilt from the log.

``as_of`` is a log position (digits) or an ISO-8601 time: the state after every event of the
aggregate at or before it. Who may look: whoever may change the thing today (course content:
its editors; a collection: collection editors; an enrollment: the learner or member
administrators; a membership: the member or member administrators), and auditors (the
``audit`` right) for anything of their org. Others of the org get 403, anyone else 404.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, Protocol
from uuid import UUID

import msgspec

from application.audit_catalogue import PERSONAL_FIELDS, SECRET_FIELDS, type_of
from application.audit_export import parse_time
from application.audit_records import Entry, decoded_state, fixed_width
from application.authorization import Authorization, Principal
from application.views import CourseView
from domain.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from domain.rights import allows

#: aggregates whose past state ``as_of`` rebuilds
AS_OF_TYPES = ("course", "chapter", "activity", "collection", "enrollment", "membership")
NOT_FOUND = "No history for this id"
#: aggregates whose entries (and decoded events) are kept between looks
KNOWN_AGGREGATES = 256


class AggregateLog(Protocol):
    def aggregate(self, originator_id: UUID, after_version: int = 0) -> Sequence[Entry]: ...


class _Known:
    """An aggregate's entries read so far and those of them decoded (entries never change, so
    a later look reads only the newer ones)."""

    __slots__ = ("decoded", "entries")

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.decoded: list[Any] = []


class HistoryEvent(msgspec.Struct, kw_only=True):
    position: int
    version: int
    time: str | None
    event: str
    actor: str | None
    request_id: str | None
    data: dict[str, Any]


class History(msgspec.Struct, kw_only=True):
    aggregate_uuid: str
    aggregate_type: str
    org_uuid: str | None
    events: list[HistoryEvent]


class PastState(msgspec.Struct, kw_only=True):
    aggregate_uuid: str
    aggregate_type: str
    as_of: str
    version: int
    position: int
    time: str | None
    state: dict[str, Any]


def bare_uuid(ref: str) -> UUID:
    try:
        return UUID(ref.strip().rsplit("_", 1)[-1])
    except ValueError:
        raise NotFound(NOT_FOUND) from None


def _plain(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    return msgspec.to_builtins(value)


class TimeTravel:
    def __init__(
        self,
        log: AggregateLog,
        decode: Callable[[Entry], Any],
        authz: Authorization,
        course_author: Callable[[str], str | None],
        course_view: Callable[[dict[str, Any]], CourseView],
        org_number: Callable[[str], int],
    ) -> None:
        self._log = log
        self._decode = decode
        self._authz = authz
        self._course_author = course_author
        self._course_view = course_view
        self._org_number = org_number
        self._known: OrderedDict[UUID, _Known] = OrderedDict()
        self._lock = threading.Lock()

    def _read(self, uuid: UUID) -> _Known:
        with self._lock:
            known = self._known.pop(uuid, None) or _Known()
            self._known[uuid] = known
            while len(self._known) > KNOWN_AGGREGATES:
                self._known.popitem(last=False)
        newer = self._log.aggregate(uuid, len(known.entries))
        with self._lock:
            if newer and newer[0].originator_version == len(known.entries) + 1:
                known.entries.extend(newer)
        return known

    # -- reading --------------------------------------------------------------------------
    def entries(self, principal: Principal, ref: str) -> tuple[list[Entry], str, str | None]:
        """The aggregate's entries (after the rights check), its type and its org."""
        entries = list(self._read(bare_uuid(ref)).entries)
        if not entries:
            raise NotFound(NOT_FOUND)
        kind = type_of(entries[0].topic).aggregate_type
        first, _ = decoded_state(entries[0])
        org = str(first.get("org_id") or "") or (
            entries[0].originator_id if kind == "org" else None
        )
        self._require_reader(principal, kind, org, first, entries[0].originator_id)
        return entries, kind, org

    def history(self, principal: Principal, ref: str, page: int = 1, limit: int = 100) -> History:
        entries, kind, org = self.entries(principal, ref)
        shown = entries[(page - 1) * limit: page * limit]
        events = []
        for entry in shown:
            state, meta = decoded_state(entry)
            audit_type = type_of(entry.topic)
            events.append(HistoryEvent(
                position=entry.position, version=entry.originator_version,
                time=fixed_width(state.get("timestamp")), event=audit_type.name,
                actor=meta.get("actor"), request_id=meta.get("request_id"),
                data={k: state[k] for k in audit_type.fields if k in state},
            ))
        return History(
            aggregate_uuid=entries[0].originator_id, aggregate_type=kind, org_uuid=org,
            events=events,
        )

    def rebuilt(self, principal: Principal, ref: str, as_of: str) -> tuple[Any, list[Entry], str]:
        """(aggregate as it was, the entries that made it, its type)."""
        entries, kind, _ = self.entries(principal, ref)
        if kind not in AS_OF_TYPES:
            raise InvalidInput(f"as_of rebuilds {', '.join(AS_OF_TYPES)}", field="as_of")
        past = [e for e in entries if self._at_or_before(e, as_of)]
        if not past:
            raise NotFound("It did not exist at that moment")
        known = self._read(UUID(entries[0].originator_id))
        with self._lock:
            decoded = known.decoded
            for entry in past[len(decoded):]:
                decoded.append(self._decode(entry))
            events = decoded[:len(past)]
        aggregate: Any = None
        for event in events:
            aggregate = event.mutate(aggregate)
        return aggregate, past, kind

    def state_as_of(self, principal: Principal, ref: str, as_of: str) -> PastState:
        aggregate, past, kind = self.rebuilt(principal, ref, as_of)
        state = {
            key: _plain(value) for key, value in vars(aggregate).items()
            if not key.startswith("_") and key not in SECRET_FIELDS | PERSONAL_FIELDS
        }
        last = past[-1]
        return PastState(
            aggregate_uuid=last.originator_id, aggregate_type=kind, as_of=as_of,
            version=last.originator_version, position=last.position,
            time=fixed_width(decoded_state(last)[0].get("timestamp")), state=state,
        )

    def course_as_of(self, principal: Principal, ref: str, as_of: str) -> CourseView:
        """The course as it was, in the shape ``GET /api/v1/courses/{course_uuid}`` answers."""
        course, past, kind = self.rebuilt(principal, ref, as_of)
        if kind != "course" or course.deleted:
            raise NotFound("Course not found")
        org = str(course.org_id)
        return self._course_view({
            "course_uuid": str(course.id), "id": past[0].position, "org_uuid": org,
            "org_id": self._org_number(org), "author_uuid": str(course.author_id),
            "name": course.name, "description": course.description, "about": course.about,
            "learnings": course.learnings, "tags": course.tags,
            "thumbnail_image": course.thumbnail_image, "public": course.public,
            "published": course.published,
            "open_to_contributors": getattr(course, "open_to_contributors", False),
            "creation_date": course.created_on.isoformat(),
            "update_date": course.modified_on.isoformat(),
        })

    @staticmethod
    def _at_or_before(entry: Entry, as_of: str) -> bool:
        text = as_of.strip()
        if text.isdigit():
            return entry.position <= int(text)
        moment = parse_time(text, "as_of")
        time = fixed_width(decoded_state(entry)[0].get("timestamp"))
        return moment is not None and time is not None and time <= moment

    # -- who may look -----------------------------------------------------------------------
    def _require_reader(
        self, principal: Principal, kind: str, org: str | None, first: dict[str, Any], uuid: str
    ) -> None:
        if principal.is_anonymous:
            raise Unauthenticated("You should be logged in to perform this action")
        if org is None:
            raise NotFound(NOT_FOUND)
        rights = self._authz.rights_in(principal, org)
        if rights is None:
            raise NotFound(NOT_FOUND)
        if allows(rights, "audit", "read") or self._may_change(principal, kind, org, first, uuid):
            return
        raise Forbidden("You don't have the right to read this history")

    def _may_change(
        self, principal: Principal, kind: str, org: str, first: dict[str, Any], uuid: str
    ) -> bool:
        can = self._authz.can
        if kind in ("course", "chapter", "activity"):
            course = uuid if kind == "course" else str(first.get("course_id"))
            author = str(first.get("author_id")) if kind == "course" else self._course_author(course)
            return can(principal, org, "courses", "update", owner_uuid=author)
        if kind == "collection":
            return can(principal, org, "collections", "update")
        if kind in ("enrollment", "membership"):
            own = principal.user_uuid is not None and principal.user_uuid == str(first.get("user_id"))
            trails = principal.token is not None and allows(principal.token.rights, "trails", "read")
            return own or trails or can(principal, org, "users", "update")
        return can(principal, org, "organizations", "update")

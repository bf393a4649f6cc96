"""The webhook publisher's lookup model: orgs, users, memberships and the entities payloads
name (courses, chapters, activities, …), written from the log in the publisher's own
transactions, so payloads never depend on another projection's lag.

``WebhookLookups`` writes the tables (the publisher declares them) and remembers what it
wrote; ``TxLookups`` answers the catalogue's questions inside one batch's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import msgspec

from domain.activities import Activity
from domain.api_tokens import ApiToken
from domain.chapters import Chapter
from domain.collections import Collection
from domain.courses import Course
from domain.enrollments import Enrollment
from domain.memberships import Membership
from domain.orgs import Org
from domain.personal_data import Kind, placeholder
from domain.users import User
from infrastructure.event_store import LoggedEvent
from infrastructure.read_store import Tx
from infrastructure.uuid_text import uuid_text
from projections.engine.framework import Handler
from projections.engine.memo import Memo
from projections.engine.writes import Writes

#: entities whose payload fields are remembered for updates and deletes (a miss reads the row)
ENTITY_MEMO = 20_000

# Entities the payloads name: (event class, action, kind, extra attributes)
_TRACKED: list[tuple[type, str, str, tuple[str, ...]]] = [
    (Course.CourseCreated, "create", "course", ()),
    (Course.CourseUpdated, "update", "course", ()),
    (Course.CourseDeleted, "delete", "course", ()),
    (Chapter.ChapterCreated, "create", "chapter", ()),
    (Chapter.ChapterUpdated, "update", "chapter", ()),
    (Chapter.ChapterDeleted, "delete", "chapter", ()),
    (Activity.ActivityCreated, "create", "activity", ("activity_type",)),
    (Activity.ActivityUpdated, "update", "activity", ("activity_type",)),
    (Activity.ActivityRestored, "update", "activity", ("activity_type",)),
    (Activity.ActivityDeleted, "delete", "activity", ()),
    (Collection.CollectionCreated, "create", "collection", ()),
    (Collection.CollectionUpdated, "update", "collection", ()),
    (Collection.CollectionDeleted, "delete", "collection", ()),
    (Enrollment.CourseEnrolled, "create", "enrollment", ("user_id",)),
    (ApiToken.ApiTokenIssued, "create", "api_token", ("token_prefix",)),
    (ApiToken.ApiTokenUpdated, "update", "api_token", ()),
    (ApiToken.ApiTokenRegenerated, "update", "api_token", ("token_prefix",)),
]


class WebhookLookups:
    """Writes the lookup tables from the log and remembers rows it wrote or read."""

    def __init__(
        self, table: Callable[[str], str], replaying: Callable[[LoggedEvent], bool] = lambda logged: False
    ) -> None:
        self.table = table
        self._replaying = replaying  # a rebuild re-applying what the outbox already reflects
        self.org_ids: dict[str, int] = {}
        # Entity rows written or read (a query inside a pipelined batch makes it wait for
        # every statement before it); forgotten on every change to the row, and bounded.
        self.entities: Memo[str, dict[str, Any]] = Memo(ENTITY_MEMO)

    def handlers(self) -> dict[type, list[Handler]]:
        chains: dict[type, list[Handler]] = {
            Org.OrgCreated: [self._org_created],
            User.UserRegistered: [self._user_registered],
            User.UserProfileUpdated: [self._user_updated],
            User.UserErased: [self._user_erased],
            Membership.UserJoinedOrg: [self._joined],
        }
        for cls, action, kind, extra in _TRACKED:
            chains.setdefault(cls, []).append(self._tracker(action, kind, extra))
        return chains

    def _org_created(self, tx: Writes, logged: LoggedEvent) -> None:
        org = uuid_text(logged.event.originator_id)
        tx.insert(self.table("orgs"), {"org_uuid": org, "id": logged.position})
        self.org_ids[org] = logged.position  # never changes

    def _user_registered(self, tx: Writes, logged: LoggedEvent) -> None:
        e: Any = logged.event
        tx.insert(self.table("users"), {
            "user_uuid": uuid_text(e.originator_id), "id": logged.position, "email": e.email, "username": e.username,
        })

    def _user_updated(self, tx: Writes, logged: LoggedEvent) -> None:
        e: Any = logged.event
        changed = {c: e.changes[c] for c in ("email", "username") if c in e.changes}
        if changed:
            tx.update(self.table("users"), {"user_uuid": uuid_text(e.originator_id)}, changed)

    def _user_erased(self, tx: Writes, logged: LoggedEvent) -> None:
        """Payloads queued or kept in the attempt log name the person too: they are rewritten
        with the placeholders (a delivery already handed to a sender goes out as it was)."""
        subject = uuid_text(logged.event.originator_id)
        erased = {"email": placeholder(Kind.EMAIL, subject), "username": placeholder(Kind.USERNAME, subject)}
        tx.update(self.table("users"), {"user_uuid": subject}, erased)
        if self._replaying(logged):
            return  # the outbox was rewritten when the erasure was first applied
        deliveries = self.table("deliveries")
        mention = f'%"user_uuid":"user_{subject}"%'
        for row in tx.fetchall(
            f"SELECT delivery_id, payload FROM {deliveries} WHERE payload LIKE ?", (mention,)
        ):
            body = _without_person(json.loads(row["payload"]), f"user_{subject}", erased)
            tx.execute(
                f"UPDATE {deliveries} SET payload = ? WHERE delivery_id = ?",
                (json.dumps(body, separators=(",", ":"), ensure_ascii=False), row["delivery_id"]),
            )

    def _joined(self, tx: Writes, logged: LoggedEvent) -> None:
        e: Any = logged.event
        tx.upsert(self.table("memberships"), {
            "membership_id": uuid_text(e.originator_id), "org_uuid": uuid_text(e.org_id), "user_uuid": uuid_text(e.user_id),
        })

    def _tracker(self, action: str, kind: str, extra_attrs: tuple[str, ...]) -> Handler:
        table = self.table("entities")

        def track(tx: Writes, logged: LoggedEvent) -> None:
            e: Any = logged.event
            uuid = logged.oid
            if action == "create":
                org = uuid_text(e.org_id)
                course = uuid if kind == "course" else uuid_text(getattr(e, "course_id", ""))
                extra = {_plain(a): str(getattr(e, a, "")) for a in extra_attrs}
                name = str(getattr(e, "name", ""))
                tx.upsert(table, {
                    "entity_uuid": uuid, "kind": kind, "org_uuid": org, "course_uuid": course,
                    "name": name, "extra": _encode(extra).decode(), "deleted": 0,
                })
                # An aggregate is created once, so this is the row (a conflict could only be
                # this very event applied again, which the tracking row rules out).
                self.entities.put(uuid, {
                    "kind": kind, "org_uuid": org, "course_uuid": course, "name": name, "extra": extra,
                })
            elif action == "delete":
                self.entities.forget(uuid)
                tx.update(table, {"entity_uuid": uuid}, {"deleted": 1})
            else:
                changes = dict(getattr(e, "changes", None) or getattr(e, "state", None) or {})
                for attr in extra_attrs:
                    if hasattr(e, attr):
                        changes[attr] = getattr(e, attr)
                row = TxLookups(tx, self).entity(uuid)
                if row is None:
                    return
                extra = dict(row["extra"])
                extra.update({_plain(a): str(changes[a]) for a in extra_attrs if a in changes})
                updated = {**row, "name": str(changes.get("name", row["name"])), "extra": extra}
                tx.update(table, {"entity_uuid": uuid}, {"name": updated["name"], "extra": _encode(extra).decode()})
                self.entities.put(uuid, updated)

        return track


class TxLookups:
    def __init__(self, tx: Tx, model: WebhookLookups) -> None:
        self._tx = tx
        self._p = model

    def org_id(self, org_uuid: str) -> int | None:
        known = self._p.org_ids.get(org_uuid)  # an org's numeric id never changes
        if known is not None:
            return known
        row = self._tx.fetchone(f"SELECT id FROM {self._p.table('orgs')} WHERE org_uuid = ?", (org_uuid,))
        if row is None:
            return None
        self._p.org_ids[org_uuid] = int(row["id"])
        return int(row["id"])

    def user(self, user_uuid: str) -> dict[str, Any] | None:
        return self._tx.fetchone(
            f"SELECT email, username FROM {self._p.table('users')} WHERE user_uuid = ?", (user_uuid,)
        )

    def entity(self, entity_uuid: str) -> dict[str, Any] | None:
        known = self._p.entities.get(entity_uuid)
        if known is not None:
            return known
        row = self._tx.fetchone(
            f"SELECT kind, org_uuid, course_uuid, name, extra FROM {self._p.table('entities')}"
            " WHERE entity_uuid = ?",
            (entity_uuid,),
        )
        if row is not None:
            row["extra"] = json.loads(row["extra"])
            self._p.entities.put(entity_uuid, row)
        return row

    def membership(self, membership_id: str) -> tuple[str, str] | None:
        row = self._tx.fetchone(
            f"SELECT org_uuid, user_uuid FROM {self._p.table('memberships')} WHERE membership_id = ?",
            (membership_id,),
        )
        return (row["org_uuid"], row["user_uuid"]) if row else None


def _without_person(value: Any, user_uuid: str, erased: dict[str, str]) -> Any:
    if isinstance(value, dict):
        out = {k: _without_person(v, user_uuid, erased) for k, v in value.items()}
        if out.get("user_uuid") == user_uuid:
            out.update({k: v for k, v in erased.items() if k in out})
        return out
    if isinstance(value, list):
        return [_without_person(v, user_uuid, erased) for v in value]
    return value


_encode = msgspec.json.Encoder().encode


def _plain(attr: str) -> str:
    return "user_uuid" if attr == "user_id" else attr


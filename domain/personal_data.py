"""Which event fields hold personal data: the one list, and what an erased value reads as.

Every field listed here is sealed (AES-GCM) with a key that belongs to one person, the field's
*subject*, and that key lives outside the log. Erasing the person destroys the key: the events
stay in the log byte for byte, and the field reads as its placeholder from then on.

A field is listed with the event field that names its subject (``originator_id`` for a
user's own events), and either one kind (the whole value is personal), a kind per dict key
(partial edits: ``changes``), or a kind chosen by another field of the event (a uniqueness
claim is personal when it claims an email or a username, not an org slug).

``SESSION_KEY`` fields are sealed by the application before they reach the event (assessment
answers, with the session's data key); erasing the person destroys the keys of all their
sessions. ``NOT_PERSONAL`` names the fields whose *names* look personal but whose values are
not a user's, with the reason. ``tests/unit/test_personal_data_registry.py`` holds every
domain event to this list.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from domain.assessment import Assessment
from domain.claims import UniqueClaim
from domain.orgs import Org
from domain.users import User


class Kind(StrEnum):
    EMAIL = "email"
    USERNAME = "username"
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    AVATAR = "avatar"
    BIO = "bio"
    ANSWER = "answer"
    #: an account's id at another service (a GitHub user id)
    ACCOUNT_ID = "account_id"


#: sealed by the mapper with the subject's key (``infrastructure.personal_data_codec``)
SUBJECT_KEY = "subject key"
#: sealed by the application with an assessment session's data key (``infrastructure.session_keys``)
SESSION_KEY = "session key"

ERASED_NAME = "Erased user"
ERASED_ANSWER = "[erased]"
#: an address that can never be delivered (RFC 2606 reserves ``.invalid``)
ERASED_EMAIL_DOMAIN = "erased.invalid"


def placeholder(kind: Kind, subject: UUID | str) -> str:
    """What an erased value reads as. The email stays unique per person (the identity read
    model looks accounts up by email) and can never reach anyone."""
    if kind is Kind.EMAIL:
        return f"erased-{UUID(str(subject)).hex}@{ERASED_EMAIL_DOMAIN}"
    if kind in (Kind.USERNAME, Kind.FIRST_NAME):
        return ERASED_NAME
    if kind is Kind.ANSWER:
        return ERASED_ANSWER
    return ""  # last name, avatar, bio, an outside account id: nothing is the honest rendering


@dataclass(frozen=True)
class PersonalField:
    event: type
    field: str
    #: the whole value is personal data of this kind
    kind: Kind | None = None
    #: or: the value is a dict whose entries under these keys are personal
    keys: Mapping[str, Kind] = dataclasses.field(default_factory=dict)
    #: or: personal when the event's field ``when[0]`` holds one of ``when[1]``'s keys
    when: tuple[str, Mapping[str, Kind]] | None = None
    #: the event field naming the person the data is about (their key seals it)
    subject: str = "originator_id"
    sealed_by: str = SUBJECT_KEY

    def kinds(self) -> set[Kind]:
        found = {self.kind} if self.kind else set()
        found.update(self.keys.values())
        if self.when:
            found.update(self.when[1].values())
        return found


_PROFILE_KEYS = {
    "email": Kind.EMAIL,
    "username": Kind.USERNAME,
    "first_name": Kind.FIRST_NAME,
    "last_name": Kind.LAST_NAME,
    "avatar_image": Kind.AVATAR,
    "bio": Kind.BIO,
}

PERSONAL_DATA: tuple[PersonalField, ...] = (
    PersonalField(User.UserRegistered, "email", Kind.EMAIL),
    PersonalField(User.UserRegistered, "username", Kind.USERNAME),
    PersonalField(User.UserRegistered, "first_name", Kind.FIRST_NAME),
    PersonalField(User.UserRegistered, "last_name", Kind.LAST_NAME),
    PersonalField(User.UserRegistered, "avatar_image", Kind.AVATAR),
    PersonalField(User.UserProfileUpdated, "changes", keys=_PROFILE_KEYS),
    # The claim's id is uuid5 of the value (see ``domain.ids.claim_id``); the value itself
    # is sealed with the key of the person who first claimed it. Org slugs are not personal.
    PersonalField(
        UniqueClaim.ClaimMade, "value", subject="owner_id",
        when=("kind", {"email": Kind.EMAIL, "username": Kind.USERNAME, "github": Kind.ACCOUNT_ID}),
    ),
    # Free-text answers (with the evaluator's evidence, which may quote them).
    PersonalField(
        Assessment.AssessmentAnswered, "sealed", Kind.ANSWER, subject="session", sealed_by=SESSION_KEY,
    ),
)

#: fields named like personal data that hold none of a user's, and why
NOT_PERSONAL: Mapping[tuple[type, str], str] = {
    (Org.OrgCreated, "email"): "an organization's contact address, not a user's account data",
}

#: events that record an erasure, and the field naming the erased person
ERASURES: Mapping[type, str] = {User.UserErased: "originator_id"}

#: field names that hold personal data wherever they appear (the registry test's net)
PERSONAL_NAME = re.compile(r"^(email|username|first_name|last_name|avatar\w*|bio|answer\w*)$")


def sealed_by_subject_key() -> dict[type, tuple[PersonalField, ...]]:
    """The fields the mapper seals, by event class."""
    out: dict[type, list[PersonalField]] = {}
    for entry in PERSONAL_DATA:
        if entry.sealed_by == SUBJECT_KEY:
            out.setdefault(entry.event, []).append(entry)
    return {cls: tuple(entries) for cls, entries in out.items()}

"""Every field of ``domain.personal_data`` is sealed in the stored bytes, opens for readers while
its person's key exists, and reads as its placeholder once the key is destroyed; the stored
bytes never change. SQLite and PostgreSQL."""

from __future__ import annotations

import typing
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from domain.claims import UniqueClaim
from domain.personal_data import PERSONAL_DATA, SUBJECT_KEY, Kind, PersonalField, placeholder
from domain.users import User
from infrastructure.event_store import EventStore
from infrastructure.msgspec_mapper import MsgspecMapper
from infrastructure.personal_data_codec import PersonalDataCodec
from infrastructure.personal_keys import ERASED, PersonalKeys


@pytest.fixture
def store(settings: Any) -> Iterator[EventStore]:
    s = EventStore(settings)
    yield s
    s.close()


def codec_for(settings: Any, store: EventStore, **options: Any) -> PersonalDataCodec:
    """A second process's codec: its own connections and cache, the same key table."""
    keys = PersonalKeys.for_settings(settings, settings.data_dir / "events.sqlite3")
    return PersonalDataCodec(keys, **options)


def sample_event(entry: PersonalField, subject: UUID, marker: str) -> tuple[Any, dict[str, str]]:
    """An instance of the entry's event with a recognisable value in each personal place."""
    values: dict[str, Any] = {}
    for name, hint in typing.get_type_hints(entry.event).items():
        if hint is str:
            values[name] = f"{marker}-{name}"
        elif hint is UUID:
            values[name] = uuid4()
    values.pop("originator_topic", None)
    personal: dict[str, str] = {}
    if entry.keys:
        values[entry.field] = {key: f"{marker}-{key}" for key in entry.keys}
        personal = {f"{entry.field}.{key}": f"{marker}-{key}" for key in entry.keys}
    else:
        if entry.when is not None:
            values[entry.when[0]] = next(iter(entry.when[1]))
        personal = {entry.field: values[entry.field]}
    if entry.subject != "originator_id":
        values[entry.subject] = subject
    event = object.__new__(entry.event)
    event.__dict__.update(values, originator_id=subject, originator_version=1, timestamp=datetime.now(UTC))
    return event, personal


def kind_at(entry: PersonalField, place: str) -> Kind:
    if "." in place:
        return entry.keys[place.split(".", 1)[1]]
    if entry.kind is not None:
        return entry.kind
    assert entry.when is not None
    return next(iter(entry.when[1].values()))


def read_back(event: Any, entry: PersonalField, place: str) -> Any:
    if "." in place:
        return getattr(event, entry.field)[place.split(".", 1)[1]]
    return getattr(event, entry.field)


@pytest.mark.parametrize(
    "entry", [e for e in PERSONAL_DATA if e.sealed_by == SUBJECT_KEY],
    ids=lambda e: f"{e.event.__qualname__}.{e.field}",
)
def test_every_registered_field_is_sealed_opened_and_erased(settings, store, entry):
    mapper = MsgspecMapper(store.personal_data)
    subject = uuid4()
    marker = "plain" + uuid.uuid4().hex[:8]
    event, personal = sample_event(entry, subject, marker)
    store.personal_data.prepare([event])

    stored = mapper.to_stored_event(event)

    for value in personal.values():
        assert value.encode() not in stored.state
    opened = mapper.to_domain_event(stored)
    for place, value in personal.items():
        assert read_back(opened, entry, place) == value
    store.personal_data.erase(subject)
    erased = mapper.to_domain_event(stored)
    for place in personal:
        assert read_back(erased, entry, place) == placeholder(kind_at(entry, place), subject)


def test_stored_bytes_hold_no_plaintext_and_never_change_on_erasure(store):
    user = User(email="ada@example.com", username="ada", first_name="Augusta",
                last_name="Lovelace", password_hash="hash", avatar_image="https://ada.example/me.png")
    claims = [UniqueClaim(kind="email", value="ada@example.com", owner_id=user.id),
              UniqueClaim(kind="username", value="ada", owner_id=user.id),
              UniqueClaim(kind="slug", value="lovelace-org", owner_id=user.id),
              UniqueClaim(kind="github", value="583231977", owner_id=user.id)]
    store.save(user, *claims)
    user.update_profile({"bio": "Writes notes on engines", "last_name": "King"})
    store.save(user)
    before = [(n.id, n.state) for n in store.read_raw(0)]
    raw = b"".join(state for _, state in before)
    for value in ("ada@example.com", '"ada"', "Augusta", "Lovelace", "ada.example", "engines", "King", "583231977"):
        assert value.encode() not in raw, value
    assert b"lovelace-org" in raw  # an org slug is not personal data

    loaded = store.get(user.id, User)
    assert loaded is not None
    assert (loaded.email, loaded.first_name, loaded.last_name, loaded.bio) == (
        "ada@example.com", "Augusta", "King", "Writes notes on engines")

    store.personal_data.erase(user.id)

    assert [(n.id, n.state) for n in store.read_raw(0)] == before
    gone = store.get(user.id, User)
    assert gone is not None
    assert (gone.username, gone.first_name, gone.last_name, gone.bio, gone.avatar_image) == (
        "Erased user", "Erased user", "", "", "")
    assert gone.email == f"erased-{user.id.hex}@erased.invalid"
    email_claim = store.get(claims[0].id, UniqueClaim)
    assert email_claim is not None and email_claim.value == gone.email
    slug_claim = store.get(claims[2].id, UniqueClaim)
    assert slug_claim is not None and slug_claim.value == "lovelace-org"
    github_claim = store.get(claims[3].id, UniqueClaim)
    assert github_claim is not None and github_claim.value == ""


def test_values_written_before_sealing_stay_readable_until_their_person_is_erased(store):
    plain = MsgspecMapper()  # as events were written before this existed
    user = User(email="old@example.com", username="old", first_name="Old", last_name="Timer",
                password_hash="hash")
    event = user.collect_events()[0]
    stored = plain.to_stored_event(event)
    assert b"old@example.com" in stored.state
    sealing = MsgspecMapper(store.personal_data)
    assert sealing.to_domain_event(stored).email == "old@example.com"  # type: ignore[attr-defined]
    store.personal_data.erase(user.id)
    assert sealing.to_domain_event(stored).email == placeholder(Kind.EMAIL, user.id)  # type: ignore[attr-defined]


def test_a_sealed_value_moved_to_another_person_does_not_open_and_does_not_raise(store):
    mapper = MsgspecMapper(store.personal_data)
    alice = User(email="alice@example.com", username="alice", first_name="Alice", last_name="A", password_hash="h")
    bob = User(email="bob@example.com", username="bob", first_name="Bob", last_name="B", password_hash="h")
    store.save(alice, bob)
    stored_alice, stored_bob = store.read_raw(store.last_position() - 2)
    forged = StoredEvent(
        originator_id=stored_bob.originator_id, originator_version=stored_bob.originator_version,
        topic=stored_bob.topic, state=stored_alice.state,
    )
    decoded: Any = mapper.to_domain_event(forged)
    assert decoded.first_name == "Erased user" and "alice" not in decoded.email


def test_another_process_forgets_an_erased_key_within_its_cache_window(settings, store):
    now = [1000.0]
    other = codec_for(settings, store, live_seconds=30, clock=lambda: now[0])
    mapper = MsgspecMapper(other)
    user = User(email="cached@example.com", username="cached", first_name="C", last_name="D", password_hash="h")
    store.save(user)
    stored = store.read_raw(store.last_position() - 1)[0]
    assert mapper.to_domain_event(stored).email == "cached@example.com"  # type: ignore[attr-defined]

    store.personal_data.erase(user.id)  # in "this" process

    now[0] += 31
    assert mapper.to_domain_event(stored).email.endswith("@erased.invalid")  # type: ignore[attr-defined]
    other.close()


def test_reading_a_user_erased_event_destroys_a_key_the_erasing_process_left_behind(settings, store):
    user = User(email="crash@example.com", username="crash", first_name="C", last_name="D", password_hash="h")
    store.save(user)
    user.erase(requested_by=user.id)
    store.save(user)  # as if the process died before destroying the key
    keys = PersonalKeys.for_settings(settings, settings.data_dir / "events.sqlite3")
    assert isinstance(keys.fetch(str(user.id)), bytes)

    reader = codec_for(settings, store)
    for notification in store.read_raw(0):
        MsgspecMapper(reader).to_domain_event(notification)

    assert keys.fetch(str(user.id)) is ERASED
    registered = store.read_raw(0)[0]
    later = codec_for(settings, store)  # any process, from now on
    assert MsgspecMapper(later).to_domain_event(registered).first_name == "Erased user"  # type: ignore[attr-defined]
    for opened in (keys, reader, later):
        opened.close()


def test_nothing_new_is_sealed_readable_for_an_erased_person(store):
    user = User(email="late@example.com", username="late", first_name="L", last_name="T", password_hash="h")
    store.save(user)
    store.personal_data.erase(user.id)
    claim = UniqueClaim(kind="username", value="late-again", owner_id=user.id)
    store.save(claim)
    raw = store.read_raw(store.last_position() - 1)[0].state
    assert b"late-again" not in raw
    got = store.get(claim.id, UniqueClaim)
    assert got is not None and got.value == "Erased user"

"""Every event field that holds personal data is in ``domain.personal_data``, so a new field
cannot slip into the log in clear. (That each listed field is really sealed is tested against a
real store in ``tests/integration/test_personal_data_sealing.py``.)"""

from __future__ import annotations

import importlib
import pkgutil
import typing
from typing import Any

import domain
from application.profiles import _TEXT_LIMITS
from domain.personal_data import (
    ERASURES,
    NOT_PERSONAL,
    PERSONAL_DATA,
    PERSONAL_NAME,
    SESSION_KEY,
    SUBJECT_KEY,
    Kind,
    placeholder,
)
from domain.users import User
from projections.identity import _USER_COLUMNS

_FRAMEWORK_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic"}


def domain_events() -> list[type]:
    """Every event class defined in a ``domain`` module (nested in its aggregate)."""
    from eventsourcing.domain import DomainEvent

    found: dict[str, type] = {}
    for module_info in pkgutil.iter_modules(domain.__path__):
        module = importlib.import_module(f"domain.{module_info.name}")
        for value in vars(module).values():
            if not isinstance(value, type) or value.__module__ != module.__name__:
                continue
            for nested in vars(value).values():
                if (
                    isinstance(nested, type) and issubclass(nested, DomainEvent)
                    and nested.__module__ == module.__name__
                ):
                    found[nested.__qualname__] = nested
    return list(found.values())


def fields_of(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {
        name: hint for name, hint in hints.items()
        if name not in _FRAMEWORK_FIELDS and typing.get_origin(hint) is not typing.ClassVar
    }


def test_the_domain_has_events_to_check():
    events = domain_events()
    assert User.UserRegistered in events and User.UserErased in events
    assert len(events) > 60


def test_every_field_named_like_personal_data_is_registered_or_explained():
    registered = {(entry.event, entry.field) for entry in PERSONAL_DATA}
    missing = [
        f"{cls.__qualname__}.{name}"
        for cls in domain_events()
        for name in fields_of(cls)
        if PERSONAL_NAME.match(name) and (cls, name) not in registered and (cls, name) not in NOT_PERSONAL
    ]
    assert missing == [], f"personal-looking fields not in domain.personal_data: {missing}"


def test_the_naming_rule_catches_what_it_should():
    for name in ("email", "username", "first_name", "last_name", "avatar_image", "avatar", "bio", "answer", "answer_text"):
        assert PERSONAL_NAME.match(name), name
    for name in ("name", "description", "slug", "emails_sent"):
        assert not PERSONAL_NAME.match(name), name


def test_each_entry_names_a_real_field_and_a_real_subject():
    for entry in PERSONAL_DATA:
        fields = fields_of(entry.event)
        assert entry.field in fields, entry
        assert entry.kinds(), entry
        assert entry.sealed_by in (SUBJECT_KEY, SESSION_KEY), entry
        if entry.sealed_by == SUBJECT_KEY:
            assert entry.subject == "originator_id" or entry.subject in fields, entry
        if entry.when is not None:
            assert entry.when[0] in fields, entry
    for cls, subject in ERASURES.items():
        assert subject == "originator_id" or subject in fields_of(cls)
    # Exemptions name real fields too, so a stale one cannot hide a new field of that name.
    for cls, name in NOT_PERSONAL:
        assert name in fields_of(cls)


def test_every_profile_field_a_user_can_change_is_sealed_in_profile_updates():
    entry = next(e for e in PERSONAL_DATA if e.event is User.UserProfileUpdated)
    editable = set(_TEXT_LIMITS) | {"email", "username"}
    assert editable <= set(entry.keys)
    assert set(entry.keys) >= _USER_COLUMNS  # what the identity read model copies from it


def test_every_personal_field_of_a_registration_is_registered():
    registered = {e.field for e in PERSONAL_DATA if e.event is User.UserRegistered}
    assert registered == {n for n in fields_of(User.UserRegistered) if PERSONAL_NAME.match(n)}


def test_placeholders_say_erased_and_the_email_reaches_nobody():
    subject = "6f1c1d1e-52a4-4c55-9a8e-3b3c1d7b9a10"
    assert placeholder(Kind.USERNAME, subject) == placeholder(Kind.FIRST_NAME, subject) == "Erased user"
    assert placeholder(Kind.ANSWER, subject) == "[erased]"
    assert placeholder(Kind.BIO, subject) == placeholder(Kind.AVATAR, subject) == ""
    email = placeholder(Kind.EMAIL, subject)
    assert email.endswith("@erased.invalid") and email != placeholder(Kind.EMAIL, "0" * 32)

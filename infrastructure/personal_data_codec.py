"""Seals the personal fields of events on their way into the log, and opens them on the way out.

The fields are those of ``domain.personal_data``. Each value is sealed with AES-GCM under its
subject's key (``infrastructure.personal_keys``), bound to the subject and the kind of data
(associated data ``<subject>:<kind>``), so a sealed value copied to another person or another
field does not open. Stored form: ``pd1:<base64(nonce | ciphertext | tag)>``.

Opening never raises on erased data: a destroyed key, a missing one or a value that does not
open reads as the field's placeholder ("Erased user", an ``.invalid`` email, empty avatar and
bio). A key store that cannot be reached does raise, so no reader mistakes an outage for an
erasure. Values written
before sealing existed are plaintext and are returned as they are, unless their subject was
erased; the bytes of those old events still hold the plaintext (see ``docs/privacy.md``).

Keys are cached per process (LRU, bounded). A destroyed key is final, so a tombstone is cached
for good; a live key is trusted for ``live_seconds`` and then looked up again. That bounds how
long another process may still open a freshly erased person's fields; the process that erases
and every process that reads the ``UserErased`` event forget the key at once. Sealing with a
key that was destroyed meanwhile loses nothing but the data itself: nobody can open it.
"""

from __future__ import annotations

import base64
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final
from uuid import UUID

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.utils import get_topic

from domain.personal_data import ERASURES, Kind, PersonalField, placeholder, sealed_by_subject_key
from infrastructure.personal_keys import ERASED, PersonalKeys

log = logging.getLogger("learnstream.personal_data")

PREFIX = "pd1:"
#: stored in place of a value written for a person already erased: there is nothing to seal
ERASED_MARK = PREFIX + "erased"
_NO_KEY: Final = "no key"  # cached: the person has no key (yet); their old values are plaintext
_FOREVER = float("inf")

Cached = AESGCM | object


class PersonalDataCodec:
    def __init__(
        self,
        keys: PersonalKeys,
        *,
        cache_size: int = 10_000,
        live_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keys = keys
        self._plans = sealed_by_subject_key()
        self._erasures = dict(ERASURES)
        #: stored topic -> what names its persons (what ``warm`` looks at)
        self._topics: dict[str, tuple[PersonalField, ...]] = {
            get_topic(cls): plan for cls, plan in self._plans.items()
        }
        for cls, field in self._erasures.items():
            self._topics[get_topic(cls)] = (PersonalField(cls, field, subject=field),)
        self._cache: OrderedDict[str, tuple[float, Cached]] = OrderedDict()
        self._size = cache_size
        self._live = live_seconds
        self._clock = clock
        self._lock = threading.Lock()

    # -- the mapper's hook ----------------------------------------------------------------
    def seal(self, cls: type, originator_id: UUID, state: dict[str, Any]) -> None:
        """Replace the personal values of an event's state (a copy of its fields) in place."""
        plan = self._plans.get(cls)
        if plan is None:
            return
        origin = str(originator_id)
        known: dict[str, Cached] = {}  # one key lookup per person per event, not per field
        for entry in plan:
            subject = _subject(entry, origin, state)
            cipher = known.get(subject)
            if cipher is None:
                cipher = known[subject] = self._state(subject, write=True)
            self._rewrite(entry, state, subject, cipher, self._seal)

    def open(self, cls: type, originator_id: UUID | str, state: dict[str, Any]) -> None:
        erased_field = self._erasures.get(cls)
        if erased_field is not None:
            self._learn_erased(_subject_of(erased_field, originator_id, state))
        plan = self._plans.get(cls)
        if plan is None:
            return
        origin = str(originator_id)
        known: dict[str, Cached] = {}
        for entry in plan:
            subject = _subject(entry, origin, state)
            cipher = known.get(subject)
            if cipher is None:
                cipher = known[subject] = self._state(subject, write=False)
            self._rewrite(entry, state, subject, cipher, self._open)

    # -- the write path -------------------------------------------------------------------
    def prepare(self, events: Sequence[Any]) -> None:
        """Make sure every person these events hold data about has a key, before they are
        encoded. The append writer calls it for each group it writes: one lookup and one
        insert for all the group's new people, and no second writer contending for the
        database (SQLite's busy wait sleeps whole milliseconds)."""
        wanted = set(self._subjects_of(events))
        now = self._clock()
        with self._lock:
            wanted = {s for s in wanted if not self._writable(self._cache.get(s), now)}
        if not wanted:
            return
        # A person whose own aggregate these events create (a signup) has no key yet.
        missing = {str(e.originator_id) for e in events if e.originator_version == 1} & wanted
        for subject, state in self._keys.fetch_many(wanted - missing).items():
            if state is None:
                missing.add(subject)
            else:
                self._remember(subject, state)
        for subject, made in self._keys.create(missing).items():
            self._remember(subject, made)

    # -- the read path --------------------------------------------------------------------
    def warm(self, entries: Iterable[Any]) -> None:
        """Load the keys a batch of stored entries needs in one query, not one per person (a
        replay meets every person once, and would otherwise ask for each key alone)."""
        now = self._clock()
        wanted: set[str] = set()
        with self._lock:
            for entry in entries:
                for subject in self._stored_subjects(entry):
                    if not self._fresh(self._cache.get(subject), now):
                        wanted.add(subject)
        if wanted:
            for subject, state in self._keys.fetch_many(wanted).items():
                self._remember(subject, state)

    # -- erasure --------------------------------------------------------------------------
    def erase(self, subject: UUID | str) -> None:
        """Destroy the person's key (a tombstone) and forget it here."""
        self._keys.destroy(str(subject))
        self._remember(str(subject), ERASED)

    def is_erased(self, subject: UUID | str) -> bool:
        return self._state(str(subject), write=False) is ERASED

    def close(self) -> None:
        self._keys.close()

    # -- inside ---------------------------------------------------------------------------
    @staticmethod
    def _rewrite(
        entry: PersonalField, state: dict[str, Any], subject: str, cipher: Cached,
        change: Callable[[str, Cached, Kind, Any], Any],
    ) -> None:
        if entry.kind is not None:
            if entry.field in state:
                state[entry.field] = change(subject, cipher, entry.kind, state[entry.field])
        elif entry.keys:
            found = state.get(entry.field)
            if isinstance(found, dict) and any(k in found for k in entry.keys):
                found = dict(found)  # the event's own dict stays as the aggregate holds it
                for key, kind in entry.keys.items():
                    if key in found:
                        found[key] = change(subject, cipher, kind, found[key])
                state[entry.field] = found
        elif entry.when is not None:
            discriminator, kinds = entry.when
            chosen = kinds.get(str(state.get(discriminator)))
            if chosen is not None and entry.field in state:
                state[entry.field] = change(subject, cipher, chosen, state[entry.field])

    @staticmethod
    def _seal(subject: str, cipher: Cached, kind: Kind, value: Any) -> str:
        if not isinstance(value, str):
            # Refuse rather than write a personal value in clear.
            raise TypeError(f"personal data must be text, got {type(value).__name__} for {kind}")
        if not isinstance(cipher, AESGCM):
            return ERASED_MARK
        nonce = os.urandom(12)
        sealed = cipher.encrypt(nonce, value.encode(), f"{subject}:{kind}".encode())
        return PREFIX + base64.b64encode(nonce + sealed).decode()

    def _open(self, subject: str, cipher: Cached, kind: Kind, value: Any) -> Any:
        if not (isinstance(value, str) and value.startswith(PREFIX)):
            # Written before sealing existed: readable, until its person is erased.
            return placeholder(kind, subject) if cipher is ERASED else value
        if value == ERASED_MARK:
            return placeholder(kind, subject)
        if cipher is _NO_KEY:  # another process made their key since this one looked
            cipher = self._state(subject, write=False, refresh_missing=True)
        if not isinstance(cipher, AESGCM):
            return placeholder(kind, subject)
        try:
            raw = base64.b64decode(value[len(PREFIX):])
            return cipher.decrypt(raw[:12], raw[12:], f"{subject}:{kind}".encode()).decode()
        except (InvalidTag, ValueError):
            log.warning("a sealed %s of %s does not open; shown as erased", kind, subject)
            return placeholder(kind, subject)

    def _state(self, subject: str, *, write: bool, refresh_missing: bool = False) -> Cached:
        """The person's cipher, ``ERASED`` or ``_NO_KEY``; ``write`` creates a missing key."""
        now = self._clock()
        with self._lock:
            cached = self._cache.get(subject)
            if self._fresh(cached, now) and not (
                cached is not None and cached[1] is _NO_KEY and (write or refresh_missing)
            ):
                self._cache.move_to_end(subject)
                return cached[1]  # type: ignore[index]
        found = self._keys.fetch(subject)
        if found is None and write:
            found = self._keys.create([subject])[subject]
        return self._remember(subject, found)

    def _remember(self, subject: str, found: Any) -> Cached:
        value: Cached
        if found is ERASED:
            value, until = ERASED, _FOREVER
        elif found is None:
            value, until = _NO_KEY, self._clock() + self._live
        else:
            value, until = AESGCM(found), self._clock() + self._live
        with self._lock:
            self._cache[subject] = (until, value)
            self._cache.move_to_end(subject)
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return value

    @classmethod
    def _writable(cls, cached: tuple[float, Cached] | None, now: float) -> bool:
        """Known well enough to seal with: a live key, or a tombstone."""
        return cls._fresh(cached, now) and cached is not None and cached[1] is not _NO_KEY

    @staticmethod
    def _fresh(cached: tuple[float, Cached] | None, now: float) -> bool:
        return cached is not None and cached[0] > now

    def _learn_erased(self, subject: str) -> None:
        """A ``UserErased`` read from the log: the key must be gone. Normally the erasing
        request destroyed it already; if that process died in between, this finishes it."""
        if self._state(subject, write=False) is ERASED:
            return
        try:
            self.erase(subject)
        except Exception:  # reading must not fail; the next reader of the event tries again
            log.exception("could not destroy the key of erased %s", subject)

    def _stored_subjects(self, entry: Any) -> Iterable[str]:
        plan = self._topics.get(entry.topic)
        if plan is None:
            return
        state: dict[str, Any] | None = None
        for field in plan:
            if field.subject == "originator_id":
                yield str(entry.originator_id)
                continue
            state = state if state is not None else _peek(entry.state)
            if field.when is None or state.get(field.when[0]) in field.when[1]:
                yield str(state.get(field.subject))

    def _subjects_of(self, events: Iterable[Any]) -> Iterable[str]:
        for event in events:
            for entry in self._plans.get(type(event), ()):
                if entry.when is not None and getattr(event, entry.when[0], None) not in entry.when[1]:
                    continue
                yield str(
                    event.originator_id if entry.subject == "originator_id"
                    else getattr(event, entry.subject)
                )


_peek = msgspec.json.Decoder().decode


def _subject(entry: PersonalField, origin: str, state: dict[str, Any]) -> str:
    return origin if entry.subject == "originator_id" else str(state[entry.subject])


def _subject_of(name: str, originator_id: UUID | str, state: dict[str, Any]) -> str:
    return str(originator_id if name == "originator_id" else state[name])

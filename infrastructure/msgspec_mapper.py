"""Event (de)serialisation with msgspec instead of eventsourcing's JSON transcoder.

The stock ``Mapper`` encodes ``vars(event)`` through a transcoder and rebuilds the event with
``object.__new__``. We keep that shape but let msgspec do the bytes, and on the way back we
convert each field to the type the event class declares (str → datetime, str → UUID, …) after
the class's ``upcast_vX_vY`` steps have run, so old stored shapes still load.
"""

from __future__ import annotations

import typing
from functools import cache
from typing import Any, ClassVar, Protocol
from uuid import UUID

import msgspec
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoder,
)
from eventsourcing.utils import get_topic, resolve_topic

from infrastructure.event_metadata import META_KEY, split_meta

_SKIPPED_FIELDS = frozenset({"originator_id", "originator_version"})


class MsgspecTranscoder(Transcoder):
    def __init__(self) -> None:
        self._encoder = msgspec.json.Encoder()
        self._decoder = msgspec.json.Decoder()

    def encode(self, obj: Any) -> bytes:
        return self._encoder.encode(obj)

    def decode(self, data: bytes) -> Any:
        return self._decoder.decode(data)


@cache
def _field_types(cls: type) -> dict[str, Any]:
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # an unresolvable forward ref: keep the raw JSON values
        hints = dict(getattr(cls, "__annotations__", {}))
    return {
        name: hint
        for name, hint in hints.items()
        if name not in _SKIPPED_FIELDS and not isinstance(hint, typing.TypeVar)
    }


class PersonalFields(Protocol):
    """Seals an event's personal fields before it is stored and opens them when it is read,
    in place (``infrastructure.personal_data_codec``)."""

    def seal(self, cls: type, originator_id: UUID, state: dict[str, Any]) -> None: ...
    def open(self, cls: type, originator_id: UUID | str, state: dict[str, Any]) -> None: ...


@cache
def _typed_decoder(cls: type) -> msgspec.json.Decoder[Any] | None:
    """A decoder straight into the class's declared field types (one pass in C), for states
    stored with the class's current version and no key it does not declare; None when the
    types are beyond msgspec (the field-by-field path then handles the class)."""
    fields: list[Any] = [
        (name, hint) for name, hint in _field_types(cls).items() if typing.get_origin(hint) is not ClassVar
    ]
    fields += [("class_version", int, 1), ("meta", Any, msgspec.field(default=None, name=META_KEY))]
    try:
        state = msgspec.defstruct(f"{cls.__name__}State", fields, forbid_unknown_fields=True)
        return msgspec.json.Decoder(state, strict=False)
    except Exception:
        return None


class MsgspecMapper(Mapper[UUID]):
    def __init__(self, personal_fields: PersonalFields | None = None) -> None:
        super().__init__(transcoder=MsgspecTranscoder())
        self._personal = personal_fields

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        if self._personal is not None:  # personal data: sealed with its subject's key
            self._personal.seal(type(domain_event), originator_id, state)
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=get_topic(type(domain_event)),
            state=self.transcoder.encode(state),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        cls = resolve_topic(stored_event.topic)
        state = self._typed_state(cls, stored_event)
        if state is None:
            state = self._converted_state(cls, stored_event)
        originator_id = stored_event.originator_id
        state["originator_id"] = (
            originator_id if isinstance(originator_id, UUID) else msgspec.convert(str(originator_id), UUID)
        )
        state["originator_version"] = stored_event.originator_version
        domain_event: Any = object.__new__(cls)
        object.__setattr__(domain_event, "__dict__", state)
        return domain_event

    def _typed_state(self, cls: type, stored_event: StoredEvent) -> dict[str, Any] | None:
        """The state decoded into its declared types in one pass (a rebuild decodes the whole
        log: field by field cost several times more), or None for the general path: an older
        class version to upcast, a key the class does not declare, a value of another shape
        (a sealed personal field)."""
        decoder = _typed_decoder(cls)
        if decoder is None:
            return None
        try:
            decoded = decoder.decode(stored_event.state)
        except (msgspec.ValidationError, msgspec.DecodeError):
            return None
        if decoded.class_version != getattr(cls, "class_version", 1):
            return None
        state: dict[str, Any] = msgspec.structs.asdict(decoded)
        del state["class_version"], state["meta"]
        if self._personal is not None:
            self._personal.open(cls, stored_event.originator_id, state)
        return state

    def _converted_state(self, cls: type, stored_event: StoredEvent) -> dict[str, Any]:
        try:
            state: dict[str, Any] = self.transcoder.decode(stored_event.state)
            split_meta(state)  # who caused it: read from raw entries (event_metadata)
            from_version = state.pop("class_version", 1)
            class_version = getattr(cls, "class_version", 1)
            while from_version < class_version:
                getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
                from_version += 1
            if self._personal is not None:  # personal data: opened, or its erased placeholder
                self._personal.open(cls, stored_event.originator_id, state)
            types = _field_types(cls)
            for name, value in state.items():
                hint = types.get(name)
                if hint is not None and hint is not Any:
                    state[name] = msgspec.convert(value, hint, strict=False)
        except Exception as error:
            raise MapperDeserialisationError(
                f"cannot load {stored_event.topic} v{stored_event.originator_version} "
                f"of {stored_event.originator_id}: {error}"
            ) from error
        return state

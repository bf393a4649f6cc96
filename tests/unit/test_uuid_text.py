"""``uuid_text`` is ``str`` for every value a read model stores, remembered or not."""

from __future__ import annotations

import uuid

from infrastructure import uuid_text as module
from infrastructure.uuid_text import uuid_text


def test_the_text_of_a_uuid_seen_again_is_its_canonical_form() -> None:
    value = uuid.uuid4()
    assert uuid_text(value) == str(value)
    assert uuid_text(uuid.UUID(str(value))) == str(value)  # an equal UUID, another object


def test_other_values_are_their_str() -> None:
    assert uuid_text("org_1") == "org_1"
    assert uuid_text(None) == "None"
    assert uuid_text(12) == "12"


def test_past_its_bound_it_forgets_and_still_answers(monkeypatch) -> None:
    monkeypatch.setattr(module, "KEPT", 3)
    values = [uuid.uuid4() for _ in range(10)]
    assert [uuid_text(v) for v in values] == [str(v) for v in values]
    assert len(module._texts) <= 3

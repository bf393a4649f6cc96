"""``MadeOnce``: a value made once per key, bounded however many keys it is fed."""

from __future__ import annotations

from projections.engine.memo import MadeOnce


def test_a_value_is_made_once_per_key_and_found_through_map() -> None:
    calls: list[str] = []

    def shout(word: str) -> str:
        calls.append(word)
        return word.upper()

    made = MadeOnce(shout)
    assert list(map(made.__getitem__, ["a", "b", "a", "a"])) == ["A", "B", "A", "A"]
    assert calls == ["a", "b"]


def test_it_forgets_everything_at_its_limit_and_starts_again() -> None:
    made = MadeOnce(len, limit=3)
    for word in ("a", "bb", "ccc"):
        assert made[word] == len(word)
    assert len(made) == 3
    assert made["dddd"] == 4
    assert dict(made) == {"dddd": 4}

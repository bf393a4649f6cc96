"""Search text is folded the same way for indexing and querying: case and accents ignored."""

from __future__ import annotations

import unicodedata

from projections.search_index import normalise


def _slow(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def test_accents_and_case_are_folded() -> None:
    assert normalise("Café Über Ærø") == "cafe uber ærø"
    assert normalise("PYTHON for Data") == "python for data"


def test_plain_ascii_takes_the_fast_path_with_the_same_result() -> None:
    samples = ["Introduction to Python 3.12!", "", "   x_Y-z  ", "".join(chr(c) for c in range(128))]
    for text in samples:
        assert normalise(text) == _slow(text)


def test_a_term_another_term_starts_with_adds_nothing_and_is_dropped() -> None:
    from projections.queries.search import terms_of

    assert terms_of("Pyth python PYT") == ["python"]
    assert terms_of("rust py Rust python") == ["rust", "python"]
    assert terms_of("Café cafe") == ["cafe"]

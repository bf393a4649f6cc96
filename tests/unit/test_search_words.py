"""Search splits text into words the same way whichever path it takes: ASCII text by byte
translation, any other by the ``WORD`` regular expression."""

from __future__ import annotations

import random
import string

from projections.search_text import WORD, split_words, word_vector, words_of


def test_ascii_text_splits_as_the_regular_expression_does() -> None:
    rng = random.Random(7)
    alphabet = string.printable + "___"
    for _ in range(5_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        assert split_words(text) == WORD.findall(text), text


def test_words_keep_letters_and_digits_and_split_on_the_rest() -> None:
    assert split_words("snake_case, v2.0 (draft)\tend\n") == ["snake", "case", "v2", "0", "draft", "end"]
    assert split_words("café naïve — 東京 x_y") == ["café", "naïve", "東京", "x", "y"]


def test_words_of_keeps_each_word_once_in_order() -> None:
    assert words_of("b a b c a") == ["b", "a", "c"]


def test_word_vector_marks_each_first_three_letters_once_and_escapes_quotes() -> None:
    vector = word_vector(["python", "pythonic", "go"])
    assert sorted(vector.split(" ")) == sorted(["'python'", "'pythonic'", "'go'", "'_pyt'", "'_go'"])
    assert word_vector([]) == ""
    assert sorted(word_vector(["o'neil"]).split(" ")) == sorted(["'o''neil'", "'_o''n'"])

"""Search text: how docs and queries are folded and split into words, and how a doc's words are
written as PostgreSQL ``tsvector`` input or SQLite FTS5 visibility tokens.

Text is normalised in Python (NFKD, accents stripped, lower case) before it is indexed and
before a query is parsed, so accent-insensitivity needs no ``unaccent`` extension.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from projections.engine.memo import MadeOnce

#: words as both engines split them (letters and digits; FTS5's unicode61 treats ``_`` as a separator)
WORD = re.compile(r"[^\W_]+")
#: PostgreSQL: each word's first letters indexed as one marked token (see ``word_vector``)
PREFIX_TOKEN = 3
#: PostgreSQL refuses a lexeme of 2,048 bytes or more (to_tsvector skips one; ``::tsvector`` fails)
MAX_WORD_BYTES = 2047


#: ASCII text: every byte that is not a letter or digit as a space (``WORD`` on such text)
_ASCII_GAPS = bytes(b if chr(b).isascii() and chr(b).isalnum() else 32 for b in range(256))


def split_words(norm_text: str) -> list[str]:
    """``WORD.findall(norm_text)``; ASCII text (most of it) split by byte translation, a
    fraction of the regular expression's time over a long activity."""
    if norm_text.isascii():
        return norm_text.encode().translate(_ASCII_GAPS).decode().split()
    return WORD.findall(norm_text)


def words_of(norm_text: str) -> list[str]:
    """PostgreSQL: the distinct words it can index (FTS5 has no such limit)."""
    words = list(dict.fromkeys(split_words(norm_text)))
    if max(map(len, words), default=0) <= MAX_WORD_BYTES // 4:  # none can be too long
        return words
    return [w for w in words if len(w) <= MAX_WORD_BYTES // 4 or len(w.encode()) <= MAX_WORD_BYTES]


def _mark(word: str) -> str:
    return "_" + word[:PREFIX_TOKEN]


_marks = MadeOnce(_mark)  # each word's prefix token, made once


def lexeme(token: str) -> str:
    """One quoted ``tsvector``/``tsquery`` lexeme (input syntax, no parser in between)."""
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def word_vector(words: list[str]) -> str:
    """``tsvector`` input: every word, and its first ``PREFIX_TOKEN`` letters marked with ``_``
    (which no word holds, so ``_pyt`` never collides with a word ``pyt``). A query prefix of
    that length is then one token; a longer one is the words of ``vocab`` that start with it; a
    shorter one the tokens of those words (``py`` → ``_pyt``, ``_py``...): all exact lookups."""
    if not words:
        return ""
    # A repeated token would do no harm: PostgreSQL keeps a lexeme once.
    joined = "\x00".join([*words, *set(map(_marks.__getitem__, words))])  # NUL: in no text PostgreSQL stores
    if "'" in joined or "\\" in joined:  # some token needs escaping
        return " ".join(lexeme(t) for t in joined.split("\x00"))
    return "'" + joined.replace("\x00", "' '") + "'"


def hex_id(uuid: str | None) -> str:
    return (uuid or "").replace("-", "")


def visibility_tokens(doc: dict[str, Any]) -> str:
    """SQLite ``vis`` column: what a scope's MATCH filter (``SearchScope.fts``) asks for."""
    tokens = ["o" + hex_id(doc["org_uuid"])]
    if doc["course_published"] and doc["course_public"]:
        tokens.append("vopen")
    if doc["course_published"]:
        tokens.append("vcpub")
    if doc["published"]:
        tokens.append("vpub")
    if doc["public"]:
        tokens.append("vpublic")
    if doc.get("author_uuid"):
        tokens.append("a" + hex_id(doc["author_uuid"]))
    return " ".join(tokens)


def normalise(text: str) -> str:
    if text.isascii():  # nothing to decompose: the same result, without a pass per character
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def content_text(value: Any, out: list[str] | None = None) -> list[str]:
    """The words of an activity's content: every string under ``text``/``markdown``/``title``."""
    out = [] if out is None else out
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("text", "markdown", "title", "caption") and isinstance(item, str):
                out.append(item)
            else:
                content_text(item, out)
    elif isinstance(value, list):
        for item in value:
            content_text(item, out)
    return out

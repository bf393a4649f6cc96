"""The text of a UUID, remembered: read models store ids as text, and ``str(uuid)`` runs
Python code (1.6 us here) where a lookup takes a tenth of that. The ids of a history repeat
(every activity names its org, course and chapter), so a rebuild finds most of them known."""

from __future__ import annotations

from typing import Any
from uuid import UUID

#: texts kept at most; forgotten all at once beyond it (each about 180 bytes with its key and text: 9 MB)
KEPT = 50_000
_texts: dict[int, str] = {}


def uuid_text(value: Any) -> str:
    """``str(value)``, faster for a ``UUID`` seen before."""
    if value.__class__ is not UUID:
        return str(value)
    key = value.int
    text = _texts.get(key)
    if text is None:
        if len(_texts) >= KEPT:
            _texts.clear()
        text = _texts[key] = str(value)
    return text

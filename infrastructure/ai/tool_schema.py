"""A tool's ``input_schema`` made from a msgspec Struct type, self-contained.

``msgspec.json.schema`` answers with a ``$ref`` into ``$defs``; a tool schema must be an object
schema at its root, and an inlined one leaves the model nothing to resolve.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import msgspec

_DEFS_PREFIX = "#/$defs/"


@lru_cache(maxsize=256)
def _cached(output: type) -> dict[str, Any]:
    schema = msgspec.json.schema(output)
    defs: dict[str, Any] = schema.pop("$defs", {})
    inlined = _inline(schema, defs, ())
    if not isinstance(inlined, dict) or inlined.get("type") != "object":
        raise TypeError(f"{output!r} is not an object schema; tool input must be a Struct")
    return inlined


def tool_input_schema(output: type) -> dict[str, Any]:
    """The JSON schema of ``output`` with every ``$ref`` replaced by its definition."""
    # A deep copy per call: callers (and the SDK) may hold on to or alter the dict.
    return msgspec.json.decode(msgspec.json.encode(_cached(output)))


def _inline(node: Any, defs: dict[str, Any], seen: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_inline(item, defs, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(_DEFS_PREFIX):
        name = ref[len(_DEFS_PREFIX) :]
        if name in seen:
            raise TypeError(f"recursive type {name!r} cannot be inlined into a tool schema")
        target = _inline(defs[name], defs, (*seen, name))
        extra = {key: _inline(value, defs, seen) for key, value in node.items() if key != "$ref"}
        return {**target, **extra}
    return {key: _inline(value, defs, seen) for key, value in node.items()}

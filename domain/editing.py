"""Shared by every aggregate that records partial edits."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any


def real_changes(
    target: object,
    changes: Mapping[str, Any],
    editable: Collection[str] | None = None,
    *,
    skip_none: bool = False,
) -> dict[str, Any]:
    """The entries of ``changes`` that would alter ``target``.

    An update event records only these, so the history never shows no-op edits. ``editable``
    limits the fields; ``skip_none`` treats ``None`` as "not given" (partial-update forms).
    """
    return {
        key: value
        for key, value in changes.items()
        if (editable is None or key in editable)
        and not (skip_none and value is None)
        and getattr(target, key, None) != value
    }

"""Response bodies shared by many routes."""

from __future__ import annotations

import msgspec


class Detail(msgspec.Struct):
    """A confirmation: ``{"detail": "Course deleted"}``."""

    detail: str

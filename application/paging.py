"""The one page-and-limit rule every list follows."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import InvalidInput

#: deeper pages would ask the database for offsets past what it can represent
MAX_OFFSET = 2**31


@dataclass(frozen=True, slots=True)
class Page:
    number: int
    limit: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.limit


def page_of(page: int, limit: int, max_limit: int, *, clamp: bool = True) -> Page:
    """Pages count from 1. A limit over ``max_limit`` is lowered to it (LearnHouse's lists),
    or refused when ``clamp`` is off (search, where the seed states the maximum)."""
    if page < 1:
        raise InvalidInput("page must be at least 1", field="page")
    if limit < 1:
        raise InvalidInput("limit must be at least 1", field="limit")
    if limit > max_limit:
        if not clamp:
            raise InvalidInput(f"limit must be between 1 and {max_limit}", field="limit")
        limit = max_limit
    if (page - 1) * limit > MAX_OFFSET:
        raise InvalidInput("page is past the end of any list", field="page")
    return Page(page, limit)

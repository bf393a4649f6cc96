"""Domain errors: each maps to one HTTP status in ``api.errors``."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every expected, user-facing failure."""

    code = "ERROR"

    def __init__(self, detail: str, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code


class NotFound(DomainError):
    """The thing asked for does not exist (or the caller may not know it exists)."""

    code = "NOT_FOUND"


class Forbidden(DomainError):
    """The caller is known but lacks the right."""

    code = "FORBIDDEN"


class Unauthenticated(DomainError):
    """No valid credential."""

    code = "UNAUTHENTICATED"


class Conflict(DomainError):
    """The request collides with current state (duplicate, concurrent update)."""

    code = "CONFLICT"


class RuleBroken(DomainError):
    """The request is well-formed but a business rule refuses it (HTTP 400)."""

    code = "BAD_REQUEST"


class InvalidInput(DomainError):
    """A field is invalid (HTTP 422); ``field`` names it."""

    code = "VALIDATION_ERROR"

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field


class Locked(DomainError):
    """Too many failed attempts; retry after ``retry_after`` seconds (HTTP 429)."""

    code = "TOO_MANY_ATTEMPTS"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class PayloadTooLarge(DomainError):
    """A request body or an uploaded file is over the configured limit (HTTP 413)."""

    code = "PAYLOAD_TOO_LARGE"


class Gone(DomainError):
    """The resource existed but is no longer usable (HTTP 410)."""

    code = "GONE"

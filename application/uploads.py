"""Files that ride along with a command (course thumbnails, hosted videos, PDFs)."""

from __future__ import annotations

import msgspec

from domain.errors import PayloadTooLarge


class Upload(msgspec.Struct, frozen=True):
    filename: str
    content_type: str
    data: bytes

    @property
    def media_type(self) -> str:
        """The content type without parameters, lower-case."""
        return self.content_type.split(";")[0].strip().lower()


def check_size(upload: Upload, limit: int) -> None:
    if len(upload.data) > limit:
        raise PayloadTooLarge(f"File is larger than the {limit} bytes allowed")

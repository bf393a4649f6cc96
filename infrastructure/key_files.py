"""Keys generated once into the data dir, safe against processes that start together.

A key is written whole to a private (0600) temporary file and then linked into place, so the key
file appears complete or not at all: a process that loses the race reads the winner's key, never
an empty file still being written, and never a key of its own that the others do not share.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from infrastructure.finished_files import sync_dir


def read_or_create(path: Path, make: Callable[[], str]) -> str:
    """The text in ``path``, first written there as ``make()`` if the file does not exist."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return _read(path)
    fd, staging = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(staging, path)
        except FileExistsError:
            pass
        else:
            sync_dir(path.parent)
    finally:
        os.unlink(staging)
    return _read(path)


def _read(path: Path) -> str:
    text = path.read_text().strip()
    if not text:
        raise ValueError(f"the key file {path.name} in the data dir is empty")
    return text

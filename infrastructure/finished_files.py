"""Output files that appear only when complete: written as ``NAME.partial`` beside their final
name, then synced and renamed into place. An export that is interrupted or fails leaves no file
under the final name that an auditor (or a copy job) could take for a whole one."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def partial_of(path: Path) -> Path:
    return path.with_name(path.name + ".partial")


def publish(path: Path) -> None:
    """Move the finished ``partial_of(path)`` into place, durably."""
    partial = partial_of(path)
    with partial.open("rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, path)
    sync_dir(path.parent)


def sync_dir(directory: Path) -> None:
    """Make the names in ``directory`` (a rename, a link) durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def discard(path: Path) -> None:
    partial_of(path).unlink(missing_ok=True)


@contextlib.contextmanager
def finished_file(path: Path) -> Iterator[BinaryIO]:
    """A binary file for ``path`` that is published on success and discarded on any failure."""
    try:
        with partial_of(path).open("wb") as handle:
            yield handle
        publish(path)
    except BaseException:
        discard(path)
        raise

"""Uploaded files on local disk under the data dir (an object store can replace it later)."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


class LocalFileStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, folder: str, filename: str, data: bytes) -> str:
        safe_folder = "/".join(_SAFE.sub("_", part) for part in folder.split("/") if part)
        name = f"{secrets.token_hex(4)}_{_SAFE.sub('_', filename)}"
        target = self.root / safe_folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".part")
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)  # never a half-written file under the final name
        return f"{safe_folder}/{name}"

    def open(self, relative: str) -> Path | None:
        """The stored file, or None when it is missing or resolves (through ``..``, an absolute
        path or a symlink) outside the root. A string prefix test would also let a sibling
        folder whose name starts with the root's (``files2``) through."""
        root = self.root.resolve()
        target = (root / relative).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            return None
        return target

"""No file of the project names a path of one machine (a home directory, a checkout, a
sibling folder outside the repository): the project must read the same on any contributor's
machine, and paths of ours must not leak into a published package."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP = ("api", "application", "bench", "docs", "domain", "infrastructure", "projections", "tests")
MACHINE_PATH = re.compile(r"(?<![\w.])(/home/\w|/Users/\w|/root/|/work/|/mnt/\w|\.\./shared/)")
SUFFIXES = {".py", ".md", ".toml", ".yaml", ".yml", ".lua", ".txt", ".cfg", ".ini", ".sh", ".js", ".css", ".html"}


def project_files() -> list[Path]:
    files = [ROOT / name for name in ("README.md", "CONTRIBUTING.md", "Dockerfile", "compose.yaml", "pyproject.toml")]
    for top in TOP:
        files += [p for p in (ROOT / top).rglob("*") if p.is_file() and p.suffix in SUFFIXES]
    return [p for p in files if p.exists() and "__pycache__" not in p.parts]


def test_no_file_names_a_machine_path() -> None:
    files = project_files()
    assert len(files) > 100
    found = []
    for path in files:
        if path == Path(__file__).resolve():
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if MACHINE_PATH.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert not found, "\n".join(found)

"""``learnstream export`` shows a progress bar when its stderr is a terminal, and keeps quiet
otherwise (a pipe or a file gets the summary line only); the export itself is the same."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.server_process import clean_environ, learnstream_command, run_cli

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def test_a_progress_bar_on_a_terminal_only(api, container, settings_env, tmp_path):
    for i in range(3):
        api.create_course(api.admin(), name=f"Course {i}")
    container.loop.stop()  # nothing follows the log in this process while the command works
    on_tty, piped = tmp_path / "tty.ndjson", tmp_path / "piped.ndjson"

    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [*learnstream_command(), "export", "--out", str(on_tty)],
            env=clean_environ(settings_env), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=follower,
        )
        os.close(follower)
        shown = read_all(leader)
        assert process.wait(timeout=120) == 0, shown
    finally:
        os.close(leader)
    assert "export [" in shown and "%" in shown and "records" in shown, shown

    quiet = run_cli(["export", "--out", str(piped)], settings_env)
    assert quiet.returncode == 0, quiet.stderr
    assert "export [" not in quiet.stderr
    assert "records up to position" in quiet.stderr
    assert lines(on_tty) == lines(piped) and len(lines(piped)) > 3


def lines(path: Path) -> list[Any]:
    return path.read_text().splitlines()

"""The generated secret-box key: one per data dir, whole, private, shared by every process."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path
from typing import Any

from infrastructure.secret_box import SecretBox, load_or_create_key

_RACERS = 8
_ROUNDS = 25


def _race(data_dir: str, start: Any, out: Any) -> None:
    start.wait()
    try:
        out.put(load_or_create_key(Path(data_dir)))
    except Exception as error:  # a loser's error is reported, not lost in the child
        out.put(repr(error))


def test_processes_starting_together_on_a_fresh_data_dir_all_get_one_whole_key(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    for round_ in range(_ROUNDS):
        data_dir = tmp_path / f"var{round_}"
        start = context.Barrier(_RACERS)
        out = context.Queue()
        racers = [context.Process(target=_race, args=(str(data_dir), start, out)) for _ in range(_RACERS)]
        for racer in racers:
            racer.start()
        keys = [out.get(timeout=30) for _ in racers]
        for racer in racers:
            racer.join(timeout=30)
        assert all(isinstance(key, bytes) and len(key) == 32 for key in keys), keys
        assert len(set(keys)) == 1
        assert sorted(p.name for p in data_dir.iterdir()) == ["secret_box.key"]


def test_the_key_file_is_private_and_read_back_on_the_next_start(tmp_path: Path) -> None:
    first = load_or_create_key(tmp_path)
    assert stat.S_IMODE((tmp_path / "secret_box.key").stat().st_mode) == 0o600
    assert load_or_create_key(tmp_path) == first
    box = SecretBox(first)
    assert SecretBox(load_or_create_key(tmp_path)).open(box.seal("s3cret", "ctx"), "ctx") == "s3cret"

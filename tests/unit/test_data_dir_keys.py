"""Keys generated into the data dir: one per dir, whole, private, shared by every process."""

from __future__ import annotations

import stat
import threading
from collections.abc import Callable
from pathlib import Path
from uuid import uuid4

import pytest

from infrastructure.secret_box import SecretBox, load_or_create_key
from infrastructure.session_tokens import JwtCodec, load_or_create_secret

_RACERS = 8
_ROUNDS = 25

LOADERS: dict[str, tuple[Callable[[Path], object], str]] = {
    "secret box key": (load_or_create_key, "secret_box.key"),
    "JWT signing key": (load_or_create_secret, "jwt_secret"),
}


@pytest.mark.parametrize("kind", LOADERS)
def test_processes_starting_together_on_a_fresh_data_dir_all_get_one_whole_key(
    kind: str, tmp_path: Path
) -> None:
    """Threads behind a barrier stand for the processes: the race is in the file system, and a
    thread of this process starts in microseconds where a fork of it takes milliseconds."""
    load, file_name = LOADERS[kind]
    for round_ in range(_ROUNDS):
        data_dir = tmp_path / f"var{round_}"
        start = threading.Barrier(_RACERS)
        keys: list[object] = []

        def race() -> None:
            start.wait()
            try:
                keys.append(load(data_dir))
            except Exception as error:  # a loser's error is reported, not lost in the thread
                keys.append(repr(error))

        racers = [threading.Thread(target=race) for _ in range(_RACERS)]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(timeout=30)
        assert not [key for key in keys if isinstance(key, str) and "Error(" in key], keys
        assert len(keys) == _RACERS and len(set(keys)) == 1, keys
        assert sorted(p.name for p in data_dir.iterdir()) == [file_name]


@pytest.mark.parametrize("kind", LOADERS)
def test_the_key_file_is_private_and_read_back_on_the_next_start(kind: str, tmp_path: Path) -> None:
    load, file_name = LOADERS[kind]
    first = load(tmp_path)
    assert stat.S_IMODE((tmp_path / file_name).stat().st_mode) == 0o600
    assert load(tmp_path) == first


def test_a_secret_sealed_before_a_restart_opens_after_it(tmp_path: Path) -> None:
    sealed = SecretBox(load_or_create_key(tmp_path)).seal("s3cret", "ctx")
    assert SecretBox(load_or_create_key(tmp_path)).open(sealed, "ctx") == "s3cret"


def test_a_token_signed_before_a_restart_verifies_after_it(tmp_path: Path) -> None:
    user = uuid4()
    before = JwtCodec(load_or_create_secret(tmp_path), access_minutes=5, refresh_days=1)
    after = JwtCodec(load_or_create_secret(tmp_path), access_minutes=5, refresh_days=1)
    token = before.issue(user, "session-1", "password-hash").access_token
    claims = after.decode(token, "access")
    assert claims is not None and claims.user_id == user

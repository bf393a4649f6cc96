"""Writers of one SQLite file queue for it across processes (``infrastructure.sqlite_writers``)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from infrastructure.sqlite_writers import SqliteWriters

ROOT = Path(__file__).resolve().parents[2]
HOLDER = """
import sys
from infrastructure.sqlite_writers import SqliteWriters
with SqliteWriters(sys.argv[1]).held():
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_a_writer_waits_while_another_process_holds_the_file_and_goes_when_it_lets_go(tmp_path: Path) -> None:
    database = tmp_path / "events.sqlite3"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(database)], cwd=ROOT,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "held"
        got = threading.Event()

        def write() -> None:
            with SqliteWriters(database).held():
                got.set()

        writer = threading.Thread(target=write)
        writer.start()
        assert not got.wait(0.5)  # the other process holds it
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert got.wait(30)
        writer.join()
    finally:
        holder.kill()
        holder.wait()


def test_threads_of_one_process_take_turns(tmp_path: Path) -> None:
    writers = SqliteWriters(tmp_path / "read_models.sqlite3")
    inside: list[int] = []
    overlaps: list[int] = []

    def write(n: int) -> None:
        for _ in range(200):
            with writers.held():
                inside.append(n)
                time.sleep(0)  # let the others run while this one is inside
                if len(inside) > 1:
                    overlaps.append(n)
                inside.remove(n)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writers.close()
    assert overlaps == []

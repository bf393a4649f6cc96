"""Checkpoints on PostgreSQL are written behind the turn: the reply does not wait for them, each
session's writes land in the order they were made, a read of a session waits for its own writes
still queued, a failed write does not stop the next, and closing finishes every queued write —
so a new process finds the run paused on the question the log says is pending."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from typing import Any

import pytest
from langgraph.checkpoint.postgres import PostgresSaver
from psycopg import Connection
from psycopg.rows import dict_row

from domain.assessment import Assessment
from infrastructure.checkpoints import WriteBehind
from infrastructure.settings import PostgresDsn
from tests.api.assessment_support import respond, sign_up, start, strong_answer


def test_a_threads_writes_run_in_order_and_a_failure_does_not_stop_the_next(caplog) -> None:
    behind = WriteBehind(2)
    done: list[tuple[str, int]] = []
    gate = threading.Event()

    def write(thread: str, n: int) -> None:
        if (thread, n) == ("a", 0):
            gate.wait(10)  # the first write of "a" is slow: the others of "a" wait for it
        if (thread, n) == ("a", 2):
            raise RuntimeError("the database went away")
        done.append((thread, n))

    for n in range(5):
        behind.submit("a", lambda n=n: write("a", n))
        behind.submit("b", lambda n=n: write("b", n))
    _wait(lambda: [d for d in done if d[0] == "b"] == [("b", n) for n in range(5)])
    assert not [d for d in done if d[0] == "a"]  # "b" was not held up by "a"
    gate.set()

    async def read_after_writes() -> None:
        await behind.settled("a")
        assert [d for d in done if d[0] == "a"] == [("a", 0), ("a", 1), ("a", 3), ("a", 4)]

    asyncio.run(read_after_writes())
    _wait(lambda: behind.pending("a") is None and behind.pending("b") is None)
    assert "a checkpoint write failed" in caplog.text
    behind.submit("c", lambda: (time.sleep(0.2), done.append(("c", 0))))
    behind.close()  # waits for the queued write
    assert done[-1] == ("c", 0)


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_closing_a_process_leaves_the_checkpoint_paused_on_the_pending_question(
    settings: Any, client: Any, container: Any
) -> None:
    me = sign_up(client, "behind@example.com")
    session = start(client, me, roleId="backend_engineering", skillIds=[])
    sid = session["sessionId"]
    question = session["question"]
    for _ in range(3):
        question = respond(client, me, sid, strong_answer(question))[0]
    pending = container.events.get(uuid.UUID(sid), Assessment).pending
    client.__exit__(None, None, None)
    container.close()

    dsn = PostgresDsn.parse(settings.database_url)
    with Connection.connect(dsn.conninfo(), autocommit=True, row_factory=dict_row,
                            options=f"-c search_path={dsn.schema}") as conn:
        saved = PostgresSaver(conn).get_tuple({"configurable": {"thread_id": sid,
                                                                "checkpoint_ns": ""}})
    assert saved is not None and pending is not None
    assert saved.checkpoint["channel_values"]["pending"] == pending.number == 4
    assert any(channel == "__interrupt__" for _, channel, _ in saved.pending_writes)


def _wait(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)

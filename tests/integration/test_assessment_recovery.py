"""The log is the truth of a session: resume after a restart, after a failure between the answer
and the next question, and after a lost checkpoint; timeouts on a fake clock; answer text never
readable in the log or a checkpoint; the read model rebuilt from the log equals the live one."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.bootstrap import Container
from application.language_model import ModelServerError
from application.offline_evaluator import OfflineEvaluator
from domain.assessment import Assessment
from projections.engine.followers import Follower
from projections.engine.framework import reset
from tests.api.assessment_support import events, respond, sign_up, start, strong_answer


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def answers_of(container: Any, session_id: str) -> int:
    agg = container.events.get(uuid.UUID(session_id), Assessment)
    return len(agg.answers)


class FailingToAsk(OfflineEvaluator):
    """Judges like the offline evaluator, then fails writing the next question, as a model
    can: so the judged answer is recorded before the question is asked."""

    @property
    def asks_locally(self) -> bool:
        return False

    async def question(self, concept, question_index, previous):
        if previous:
            raise ModelServerError("the service went away")
        return await super().question(concept, question_index, previous)


def test_resume_after_a_restart_and_after_a_failure_between_answer_and_next_question(
    settings, client, container
):
    me = sign_up(client, "crash@example.com")
    session = start(client, me, roleId="backend_engineering", skillIds=[])
    sid = session["sessionId"]
    second = respond(client, me, sid, strong_answer(session["question"]))[0]

    failing = FailingToAsk()
    container.assessments._evaluator_for = lambda user_id: failing
    got = respond(client, me, sid, strong_answer(second))
    assert got[0].startswith("[ERROR]") and '"status":502' in got[0]
    assert answers_of(container, sid) == 2  # the answer was recorded before the failure
    assert container.events.get(uuid.UUID(sid), Assessment).pending is None
    client.__exit__(None, None, None)
    container.close()
    # A new process on the same stores; the first call after it is a resume.

    restarted = Container.build(settings)  # a new process on the same stores
    restarted.start_followers()
    try:
        with TestClient(app=create_app(restarted, run_followers=False)) as http:
            # The client retries its lost answer: the session moves on without counting it twice.
            retried = events(http.post(f"/api/assessment/{sid}/respond",
                                       json={"response": strong_answer(second)}, headers=me).text)
            third = retried[0]
            assert third not in (session["question"], second) and retried[-1] == "[DONE]"
            assert answers_of(restarted, sid) == 2
            assert http.get(f"/api/assessment/{sid}/resume", headers=me).json()["question"] == third
            nxt = events(http.post(f"/api/assessment/{sid}/respond",
                                   json={"response": strong_answer(third)}, headers=me).text)
            assert nxt[-1] == "[DONE]" and answers_of(restarted, sid) == 3
    finally:
        restarted.close()


def test_a_lost_checkpoint_is_rebuilt_from_the_log(client, container):
    me = sign_up(client, "lost@example.com")
    session = start(client, me)
    sid = session["sessionId"]
    second = respond(client, me, sid, strong_answer(session["question"]))[0]
    engine = container.assessments.engine
    saver = engine._checkpoints._local
    if saver is None:  # PostgreSQL: the saver lives on the client's event loop
        pytest.skip("covered on SQLite; PostgreSQL shares the same engine code")
    saver.delete_thread(sid)
    assert client.get(f"/api/assessment/{sid}/resume", headers=me).json()["question"] == second
    got = respond(client, me, sid, strong_answer(second))
    assert got[-1] == "[DONE]" and answers_of(container, sid) == 2


def test_a_session_times_out_after_thirty_idle_minutes_on_a_fake_clock(client, container):
    clock = FakeClock()
    container.assessments.engine.clock = clock
    me = sign_up(client, "idle@example.com")
    session = start(client, me)
    sid = session["sessionId"]
    clock.now += 29 * 60
    second = respond(client, me, sid, strong_answer(session["question"]))[0]
    clock.now += 29 * 60  # activity moved the deadline
    assert client.get("/api/user/assessments", headers=me).json()[0]["status"] == "active"
    clock.now += 2 * 60
    assert client.get("/api/user/assessments", headers=me).json()[0]["status"] == "timed_out"
    late = client.post(f"/api/assessment/{sid}/respond", json={"response": second}, headers=me)
    assert late.status_code == 410 and late.json()["detail"] == "Session has timed out"
    resumed = client.get(f"/api/assessment/{sid}/resume", headers=me)
    assert resumed.status_code == 410 and resumed.json()["detail"] == "Session has timed out"
    assert container.events.get(uuid.UUID(sid), Assessment).status == "timed_out"
    assert answers_of(container, sid) == 1


def _checkpoint_text(container: Any, settings: Any) -> bytes:
    if not settings.uses_postgres:
        files = sorted(settings.data_dir.glob("checkpoints.sqlite3*"))
        assert files
        return b"".join(f.read_bytes() for f in files)
    import psycopg

    from infrastructure.settings import PostgresDsn

    dsn = PostgresDsn.parse(settings.database_url)
    with psycopg.connect(dsn.conninfo(), options=f"-c search_path={dsn.schema}") as conn:
        rows = [r[0] for t in ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
                for r in conn.execute(f"SELECT t::text FROM {t} t").fetchall()]
    return "\n".join(rows).encode()


def test_neither_the_log_nor_a_checkpoint_holds_readable_answer_text(settings, client, container):
    marker = "zebra quartz marker 7781"
    me = sign_up(client, "secret@example.com")
    session = start(client, me)
    sid = session["sessionId"]
    respond(client, me, sid, f"{strong_answer(session['question'])} {marker}")
    log = b"".join(n.state for n in container.events.read_raw(0, 100_000))
    checkpoints = _checkpoint_text(container, settings)
    for form in (marker.encode(), marker.encode().hex().encode()):
        assert form not in log and form not in checkpoints
    answered = container.events.get(uuid.UUID(sid), Assessment)
    sealed = next(n for n in container.events.read_raw(0, 100_000) if b"sealed" in n.state)
    record = re.search(rb'"sealed":"([^"]+)"', sealed.state).group(1).decode()
    cipher = container.assessments._keys.cipher(sid)
    assert marker in cipher.open("record:1", record)  # recorded, for the reports
    assert answered.answers[0].confidence > 0
    assert container.assessments._keys.destroy(sid)
    assert container.assessments._keys.cipher(sid) is None  # shredded: nothing opens it now


def test_rebuilding_the_assessment_read_model_from_the_log_equals_the_live_one(client, container):
    clock = FakeClock()
    container.assessments.engine.clock = clock
    me = sign_up(client, "rebuild@example.com")
    done = start(client, me, roleId="devops_engineering", skillIds=[], thoroughness="quick")
    got = [done["question"]]
    while got[0] != "[ASSESSMENT_COMPLETE]":
        got = respond(client, me, done["sessionId"], strong_answer(got[0]))
    idle = start(client, me, skillIds=["react"])
    respond(client, me, idle["sessionId"], "not sure")
    clock.now += 31 * 60
    assert client.get(f"/api/assessment/{idle['sessionId']}/resume", headers=me).status_code == 410
    start(client, me, skillIds=["docker"], thoroughness="thorough")

    projection = container.read_models.assessments
    live = projection.dump()
    assert len(live["sessions"]) == 3 and live["scores"] and live["nodes"]
    reset(projection)
    follower = Follower(projection, container.events)
    follower.start()
    follower.catch_up()
    follower.flush()
    assert projection.dump() == live


def test_resume_after_a_restart_asks_what_the_log_says_comes_next(settings, client, container):
    me = sign_up(client, "restart@example.com")
    session = start(client, me)
    sid = session["sessionId"]
    second = respond(client, me, sid, strong_answer(session["question"]))[0]
    client.__exit__(None, None, None)
    container.close()
    restarted = Container.build(settings)
    restarted.start_followers()
    try:
        with TestClient(app=create_app(restarted, run_followers=False)) as http:
            assert http.get(f"/api/assessment/{sid}/resume", headers=me).json() == {
                "sessionId": sid, "question": second}
            got = events(http.post(f"/api/assessment/{sid}/respond",
                                   json={"response": strong_answer(second)}, headers=me).text)
            assert got[-1] == "[DONE]" and answers_of(restarted, sid) == 2
    finally:
        restarted.close()

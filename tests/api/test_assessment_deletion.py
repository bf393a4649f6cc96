"""``DELETE /api/user/assessments/{id}``: 204 for the owner, 403 "Not your session", 404; the
session, its report and its materials are gone from every route and read model, stay gone after
a replay of the log, and the answers' text cannot be read any more (its key is destroyed)."""

from __future__ import annotations

import uuid

from api.bootstrap import Container
from domain.assessment import Assessment
from projections.engine.framework import reset
from tests.api.assessment_support import sign_up, start
from tests.api.results_support import complete, logged, wait_for


def routes(sid: str) -> list[tuple[str, str]]:
    return [("GET", f"/api/assessment/{sid}/graph"), ("GET", f"/api/assessment/{sid}/report"),
            ("GET", f"/api/assessment/{sid}/export"), ("GET", f"/api/materials/{sid}"),
            ("GET", f"/api/assessment/{sid}/resume")]


def rows_of(container, sid: str) -> dict[str, int]:
    out = {}
    for name in ("assessments", "assessment_results"):
        projection = container.projections[name]
        for table in projection.tables:
            n = container.read_store.fetchone(
                f"SELECT COUNT(*) AS n FROM {projection.table(table)} WHERE session_id = ?", (sid,))
            out[f"{name}.{table}"] = int(n["n"])
    return out


def test_deleting_a_session_removes_it_everywhere_even_after_a_replay(settings, client, container):
    me = sign_up(client, "deleter@example.com")
    sid = complete(client, me)["sessionId"]
    kept = complete(client, me)["sessionId"]
    assert client.get(f"/api/assessment/{sid}/report", headers=me).status_code == 200
    for each in (sid, kept):
        assert wait_for(lambda s=each: client.get(f"/api/materials/{s}", headers=me).json()["materials"])
    assert rows_of(container, sid)["assessment_results.materials"] > 0

    deleted = client.delete(f"/api/user/assessments/{sid}", headers=me)
    assert deleted.status_code == 204 and deleted.content == b""
    for method, path in routes(sid):
        gone = client.request(method, path, headers=me)
        assert gone.status_code == 404, (path, gone.text)
        assert gone.json()["detail"] == "Session not found"
    respond = client.post(f"/api/assessment/{sid}/respond", json={"response": "x"}, headers=me)
    assert respond.status_code == 404
    assert [s["sessionId"] for s in client.get("/api/user/assessments", headers=me).json()] == [kept]
    assert set(rows_of(container, sid).values()) == {0}

    assert client.delete(f"/api/user/assessments/{sid}", headers=me).status_code == 404

    # Replaying the whole log into fresh read models does not bring it back.
    client.__exit__(None, None, None)
    container.close()
    replayed = Container.build(settings)
    try:
        for name in ("assessments", "assessment_results"):
            reset(replayed.projections[name])
        replayed.catch_up()
        assert set(rows_of(replayed, sid).values()) == {0}
        assert rows_of(replayed, kept)["assessments.sessions"] == 1
        assert rows_of(replayed, kept)["assessment_results.materials"] > 0
    finally:
        replayed.close()


def test_the_answers_text_is_unreadable_after_deletion(client, container):
    me = sign_up(client, "shredded@example.com")
    sid = complete(client, me)["sessionId"]
    answered = logged(container, Assessment.AssessmentAnswered, sid)
    assert answered
    keys = container.assessments._keys
    opened = keys.cipher(sid).open("record:1", answered[0].sealed)
    assert "answer" in opened  # readable while the session exists
    assert client.delete(f"/api/user/assessments/{sid}", headers=me).status_code == 204
    assert keys.cipher(sid) is None
    assert container.read_store.fetchone(
        "SELECT session_id FROM assessment_session_keys WHERE session_id = ?", (sid,)) is None
    # the log is intact, and still holds only ciphertext
    after = logged(container, Assessment.AssessmentAnswered, sid)
    assert [e.sealed for e in after] == [e.sealed for e in answered]
    assert all("I am not sure" not in e.sealed for e in after)


def test_only_the_owner_may_delete_and_unknown_sessions_are_404(client):
    me = sign_up(client, "mine@example.com")
    other = sign_up(client, "notmine@example.com")
    sid = start(client, me, skillIds=["python"])["sessionId"]
    refused = client.delete(f"/api/user/assessments/{sid}", headers=other)
    assert refused.status_code == 403 and refused.json()["detail"] == "Not your session"
    assert client.get(f"/api/assessment/{sid}/graph", headers=me).status_code == 200
    for unknown in ("3f2c1a52-0000-4000-8000-000000000000", "nope"):
        missing = client.delete(f"/api/user/assessments/{unknown}", headers=me)
        assert missing.status_code == 404 and missing.json()["detail"] == "Session not found"
    assert client.delete(f"/api/user/assessments/{sid}").status_code == 401
    assert client.delete(f"/api/user/assessments/{sid}", headers=me).status_code == 204


def test_a_session_deleted_mid_way_is_not_served_from_this_processs_memory(client, container):
    """The process keeps a session it answered in memory between turns; deleting it drops that
    copy with it, so no later read or answer here is served from it."""
    from tests.api.assessment_support import respond, strong_answer

    me = sign_up(client, "midway@example.com")
    session = start(client, me, roleId="backend_engineering", skillIds=[])
    sid = session["sessionId"]
    second = respond(client, me, sid, strong_answer(session["question"]))[0]
    assert container.assessments._sessions.aggregate(sid) is not None  # kept between turns

    assert client.delete(f"/api/user/assessments/{sid}", headers=me).status_code == 204
    assert container.assessments._sessions.aggregate(sid) is None
    answered = client.post(f"/api/assessment/{sid}/respond",
                           json={"response": strong_answer(second)}, headers=me)
    assert answered.status_code == 404 and answered.json()["detail"] == "Session not found"
    for path in ("resume", "graph"):
        gone = client.get(f"/api/assessment/{sid}/{path}", headers=me)
        assert gone.status_code == 404, path
    agg = container.events.get(uuid.UUID(sid), Assessment)
    assert agg.status == "deleted" and len(agg.answers) == 1  # nothing answered after it

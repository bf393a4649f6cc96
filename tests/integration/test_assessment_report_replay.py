"""A report is recorded once and served byte for byte: after a restart, after its read models
are rebuilt from the log, and when two first requests race (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid

from litestar.testing import TestClient

from api.app import create_app
from api.bootstrap import Container
from domain.assessment import Assessment
from projections.engine.framework import reset
from tests.api.assessment_support import sign_up
from tests.api.results_support import complete, logged, wait_for


def test_the_report_is_the_same_bytes_after_a_restart_and_a_rebuild(settings, client, container):
    me = sign_up(client, "restarted@example.com")
    sid = complete(client, me)["sessionId"]
    first = client.get(f"/api/assessment/{sid}/report", headers=me)
    assert first.status_code == 200
    client.__exit__(None, None, None)
    container.close()

    restarted = Container.build(settings)
    for name in ("assessments", "assessment_results"):
        reset(restarted.projections[name])
    restarted.start_followers()
    try:
        results = restarted.read_models.assessment_results
        assert wait_for(lambda: restarted.read_store.fetchone(
            f"SELECT sealed FROM {results.table('reports')} WHERE session_id = ?", (sid,)))
        with TestClient(app=create_app(restarted, run_followers=False)) as http:
            again = http.get(f"/api/assessment/{sid}/report", headers=me)
            assert again.status_code == 200 and again.content == first.content
            assert len(logged(restarted, Assessment.AssessmentReported, sid)) == 1
    finally:
        restarted.close()


def test_two_first_requests_racing_record_one_report_and_answer_the_same_bytes(client, container):
    me = sign_up(client, "racing@example.com")
    sid = complete(client, me)["sessionId"]
    user = uuid.UUID(client.get("/api/auth/me", headers=me).json()["userId"])
    reports = container.assessment_reports

    async def both() -> list[bytes]:
        return list(await asyncio.gather(reports.report(user, sid), reports.report(user, sid)))

    one, two = asyncio.run(both())
    assert one == two
    assert len(logged(container, Assessment.AssessmentReported, sid)) == 1
    assert client.get(f"/api/assessment/{sid}/report", headers=me).content == one

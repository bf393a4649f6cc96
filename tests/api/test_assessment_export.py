"""``GET /api/assessment/{id}/export``: a Markdown file with the seed's headers and four
sections, from the recorded report, or from the live graph while the session runs."""

from __future__ import annotations

import re

from tests.api.assessment_support import respond, sign_up, start, weak_answer
from tests.api.results_support import complete

SECTIONS = ["## Proficiency Scores", "## Knowledge Map", "## Knowledge Gaps", "## Learning Plan"]


def headings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("## ")]


def test_a_completed_session_exports_its_report_as_markdown(client):
    me = sign_up(client, "exporter@example.com")
    sid = complete(client, me)["sessionId"]
    response = client.get(f"/api/assessment/{sid}/export", headers=me)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == "text/markdown"
    assert response.headers["content-disposition"] == f'attachment; filename="assessment-{sid[:8]}.md"'
    text = response.text
    assert text.startswith("# Assessment Report\n")
    assert headings(text) == SECTIONS
    report = client.get(f"/api/assessment/{sid}/report", headers=me).json()
    for score in report["proficiencyScores"]:
        assert f"| {score['skillName']} (`{score['skillId']}`) | {score['score']} |" in text
    for gap in report["gapAnalysis"]["gaps"]:
        assert f"**{gap['skillName']}** ({gap['priority']})" in text
    for phase in report["learningPlan"]["phases"]:
        assert f"### Phase {phase['phaseNumber']}: {phase['title']}" in text
    assert f"Total: {report['learningPlan']['totalHours']:g} hours." in text
    assert "Overall readiness: " in text
    # exported twice: the same file (the report is recorded once)
    assert client.get(f"/api/assessment/{sid}/export", headers=me).text == text


def test_a_session_in_progress_exports_its_live_graph_and_readable_fallbacks(client):
    me = sign_up(client, "midway@example.com")
    session = start(client, me, roleId="backend_engineering", skillIds=["python"])
    fresh = client.get(f"/api/assessment/{session['sessionId']}/export", headers=me)
    assert fresh.status_code == 200 and headings(fresh.text) == SECTIONS
    assert "_No concept has been assessed yet._" in fresh.text
    respond(client, me, session["sessionId"], weak_answer(session["question"]))
    text = client.get(f"/api/assessment/{session['sessionId']}/export", headers=me).text
    assert headings(text) == SECTIONS
    assert "- Status: in progress" in text
    assert "_No proficiency scores yet: they are given when the assessment completes._" in text
    assert "_Gaps are analysed when the assessment completes._" in text
    assert "_A learning plan is written when the assessment completes._" in text
    graph = client.get(f"/api/assessment/{session['sessionId']}/graph", headers=me).json()["nodes"]
    assert graph and all(f"| `{n['concept']}` | {n['confidence']:.2f} |" in text for n in graph)
    assert not re.search(r"\bNone\b|null", text)


def test_export_of_an_unknown_or_foreign_session(client):
    me = sign_up(client, "owner@example.com")
    other = sign_up(client, "stranger@example.com")
    sid = start(client, me, skillIds=["python"])["sessionId"]
    missing = client.get("/api/assessment/3f2c1a52-0000-4000-8000-000000000000/export", headers=me)
    assert missing.status_code == 404 and missing.json() == {"detail": "Session not found",
                                                             "code": "SESSION_NOT_FOUND"}
    assert client.get(f"/api/assessment/{sid}/export", headers=other).status_code == 403

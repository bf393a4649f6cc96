"""Seed 002's report, gap analysis and learning plan over HTTP on the offline provider
(SQLite and PostgreSQL): the seed's shapes, the report recorded once and served byte for byte,
409 while a session runs, the thresholds at their boundaries, plans in prerequisite order."""

from __future__ import annotations

import pytest

from domain.assessment import Assessment
from domain.gap_analysis import DEFAULT_TARGET
from infrastructure.knowledge_base import load_knowledge_base
from tests.api.assessment_support import sign_up, start
from tests.api.results_support import complete, logged

KB = load_knowledge_base()
PRIORITY = [(40, "critical"), (25, "high"), (10, "medium"), (-1, "low")]


def expected_priority(gap: int) -> str:
    return next(name for over, name in PRIORITY if gap > over)


def test_the_report_has_the_seeds_fields_and_its_numbers_add_up(client, container):
    me = sign_up(client, "reported@example.com")
    done = complete(client, me)
    response = client.get(f"/api/assessment/{done['sessionId']}/report", headers=me)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    report = response.json()
    assert list(report) == ["knowledgeGraph", "gapAnalysis", "learningPlan", "proficiencyScores"]
    assert report["proficiencyScores"] == done["scores"]
    graph = client.get(f"/api/assessment/{done['sessionId']}/graph", headers=me).json()
    assert report["knowledgeGraph"] == graph

    analysis = report["gapAnalysis"]
    assert list(analysis) == ["overallReadiness", "summary", "gaps"]
    listed = client.get("/api/user/assessments", headers=me).json()[0]
    assert analysis["overallReadiness"] == listed["overallReadiness"] is not None
    assert analysis["gaps"], "weak answers leave gaps"
    for gap in analysis["gaps"]:
        assert list(gap) == ["skillId", "skillName", "currentLevel", "targetLevel", "gap",
                             "priority", "recommendation"]
        concept = KB.concept(gap["skillId"])
        assert gap["targetLevel"] == round(concept.target_confidence * 100)
        assert gap["gap"] == gap["targetLevel"] - gap["currentLevel"] > 0
        assert gap["priority"] == expected_priority(gap["gap"])
        assert concept.name in gap["recommendation"]
    assert [g["gap"] for g in analysis["gaps"]] == sorted((g["gap"] for g in analysis["gaps"]),
                                                          reverse=True)
    assert "offline" in analysis["summary"].lower()

    plan = report["learningPlan"]
    assert list(plan) == ["summary", "totalHours", "phases"]
    assert plan["totalHours"] == sum(p["estimatedHours"] for p in plan["phases"]) > 0
    assert [p["phaseNumber"] for p in plan["phases"]] == list(range(1, len(plan["phases"]) + 1))
    for phase in plan["phases"]:
        assert list(phase) == ["phaseNumber", "title", "concepts", "rationale", "resources",
                               "estimatedHours"]
        assert all(set(r) == {"type", "title", "url"} for r in phase["resources"])
    planned = [c for p in plan["phases"] for c in p["concepts"]]
    assert sorted(planned) == sorted(g["skillId"] for g in analysis["gaps"])


def test_the_first_call_records_the_report_and_later_calls_answer_the_same_bytes(client, container):
    me = sign_up(client, "twice@example.com")
    sid = complete(client, me)["sessionId"]
    first = client.get(f"/api/assessment/{sid}/report", headers=me)
    again = [client.get(f"/api/assessment/{sid}/report", headers=me) for _ in range(3)]
    assert all(r.status_code == 200 and r.content == first.content for r in again)
    recorded = logged(container, Assessment.AssessmentReported, sid)
    assert len(recorded) == 1
    assert recorded[0].writer == "offline:kb-report-v1"
    assert b"gapAnalysis" not in recorded[0].sealed.encode()  # sealed with the session's key


def test_a_session_in_progress_is_409_and_others_sessions_403_unknown_404(client):
    me = sign_up(client, "running@example.com")
    other = sign_up(client, "other@example.com")
    sid = start(client, me, skillIds=["python"])["sessionId"]
    running = client.get(f"/api/assessment/{sid}/report", headers=me)
    assert running.status_code == 409
    assert running.json()["detail"] == "Assessment is still in progress"
    done = complete(client, me)["sessionId"]
    assert client.get(f"/api/assessment/{done}/report", headers=other).status_code == 403
    assert client.get(f"/api/assessment/{done}/report", headers=other).json()["detail"] == "Not your session"
    client.get(f"/api/assessment/{done}/report", headers=me)  # recorded: read-model path too
    assert client.get(f"/api/assessment/{done}/report", headers=other).status_code == 403
    for unknown in ("3f2c1a52-0000-4000-8000-000000000000", "not-a-session"):
        missing = client.get(f"/api/assessment/{unknown}/report", headers=me)
        assert missing.status_code == 404 and missing.json()["detail"] == "Session not found"
    assert client.get(f"/api/assessment/{done}/report").status_code == 401


def test_the_session_list_fills_readiness_and_completion_time_for_completed_sessions(client):
    me = sign_up(client, "lister@example.com")
    done = complete(client, me)["sessionId"]
    running = start(client, me, skillIds=["python"])["sessionId"]
    listed = {s["sessionId"]: s for s in client.get("/api/user/assessments", headers=me).json()}
    assert listed[done]["status"] == "completed"
    assert listed[done]["completedAt"].endswith("Z") and len(listed[done]["completedAt"]) == 20
    assert 0 <= listed[done]["overallReadiness"] <= 100
    assert listed[running]["completedAt"] is None and listed[running]["overallReadiness"] is None


@pytest.mark.parametrize(("gap", "priority"), [
    (10, "low"), (11, "medium"), (25, "medium"), (26, "high"), (40, "high"), (41, "critical"),
])
def test_gap_analysis_priorities_at_the_seeds_boundaries(client, gap, priority):
    me = sign_up(client, f"gap{gap}@example.com")
    response = client.post("/api/gap-analysis", headers=me, json={"proficiencyScores": [
        {"skillId": "kubernetes-operators", "skillName": "Operators", "score": DEFAULT_TARGET - gap,
         "confidence": 0.8, "reasoning": "r"},
    ]})
    assert response.status_code == 200, response.text
    (found,) = response.json()["gaps"]
    assert (found["gap"], found["priority"]) == (gap, priority)
    assert found["targetLevel"] == DEFAULT_TARGET and found["skillName"] == "Operators"


def test_gap_analysis_sorts_worst_first_and_leaves_met_targets_out(client):
    me = sign_up(client, "sorted@example.com")
    http = round(KB.concept("http_fundamentals").target_confidence * 100)
    response = client.post("/api/gap-analysis", headers=me, json={"proficiencyScores": [
        {"skillId": "sql_basics", "score": 60},
        {"skillId": "http_fundamentals", "score": http},
        {"skillId": "rest_api_design", "score": 5},
        {"skillId": "caching_strategies", "score": 40},
    ]})
    body = response.json()
    assert [g["skillId"] for g in body["gaps"]] == ["rest_api_design", "caching_strategies", "sql_basics"]
    assert body["gaps"][0]["skillName"] == "REST API Design"
    assert 0 < body["overallReadiness"] < 100


def test_the_learning_plan_follows_prerequisites_and_its_hours_add_up(client):
    me = sign_up(client, "planner@example.com")
    gaps = [{"skillId": s, "skillName": s, "currentLevel": 20, "targetLevel": 80, "gap": 60,
             "priority": "critical", "recommendation": ""}
            for s in ("rest_api_design", "crud_endpoints", "http_fundamentals", "sql_basics")]
    response = client.post("/api/learning-plan", headers=me, json={"gapAnalysis": {
        "overallReadiness": 40, "summary": "s", "gaps": gaps}})
    assert response.status_code == 200, response.text
    plan = response.json()
    order = [c for p in plan["phases"] for c in p["concepts"]]
    assert order.index("http_fundamentals") < order.index("crud_endpoints") < order.index("rest_api_design")
    assert order.index("sql_basics") < order.index("crud_endpoints")
    assert plan["totalHours"] == sum(p["estimatedHours"] for p in plan["phases"])
    assert any(r["url"] and r["url"].startswith("https://") for p in plan["phases"] for r in p["resources"])


def test_gap_analysis_and_plan_validate_their_bodies_and_need_a_sign_in(client):
    me = sign_up(client, "validator@example.com")
    assert client.post("/api/gap-analysis", json={"proficiencyScores": []}).status_code == 401
    bad = client.post("/api/gap-analysis", headers=me,
                      json={"proficiencyScores": [{"skillId": "x", "score": 101}]})
    assert bad.status_code == 422
    assert client.post("/api/learning-plan", headers=me, json={}).status_code == 422
    empty = client.post("/api/gap-analysis", headers=me, json={"proficiencyScores": []}).json()
    assert empty["gaps"] == [] and empty["overallReadiness"] is None

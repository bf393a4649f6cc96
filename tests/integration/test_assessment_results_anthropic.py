"""Reports, gap analysis, plans and materials on the ``anthropic`` provider, against the local
fake Messages API: the model writes the words (with the user's key), our code keeps every
number, and the seed's Anthropic error table answers as HTTP statuses (401, 429 with
Retry-After, 502, 504)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from domain.assessment import Assessment
from domain.gap_analysis import Proficiency, gaps
from domain.learning_plan import plan
from infrastructure.knowledge_base import load_knowledge_base
from tests.api.assessment_support import sign_up
from tests.api.results_support import complete, logged, wait_for
from tests.fakes.fake_anthropic import DEFAULT_KEY, delay, prompt_of, status

KB = load_knowledge_base()
SCORES = [{"skillId": "rest_api_design", "score": 20}, {"skillId": "http_fundamentals", "score": 50},
          {"skillId": "kubernetes-operators", "skillName": "Operators", "score": 70}]


def skill_ids(prompt: str) -> list[str]:
    return re.findall(r"^- (\S+) \(", prompt, flags=re.M)


def phase_numbers(prompt: str) -> list[int]:
    return [int(n) for n in re.findall(r"^Phase (\d+) ", prompt, flags=re.M)]


def model(body: dict[str, Any]) -> dict[str, Any]:
    tool, prompt = body["tool_choice"]["name"], prompt_of(body)
    if tool == "write_question":
        return {"question": "Model question: explain it."}
    if tool == "judge_answer":
        return {"confidence": 0.3, "bloom_level": "remember", "covered_key_points": [0],
                "evidence": ["thin"], "reasoning": "Partial."}
    if tool == "write_gap_analysis":
        # numbers the model volunteers are never read
        return {"summary": "Model summary of your gaps.", "gap": 99, "overallReadiness": 1,
                "recommendations": [{"skill_id": s, "recommendation": f"Model advice on {s}.",
                                     "priority": "low"} for s in skill_ids(prompt)]}
    if tool == "write_learning_plan":
        return {"summary": "Model plan summary.", "totalHours": 1000,
                "phases": [{"phase_number": n, "title": f"Model phase {n}",
                            "rationale": f"Why phase {n}.", "estimated_hours": 1}
                           for n in phase_numbers(prompt)]}
    if tool == "write_material":
        return {"sections": [
            {"type": "explanation", "title": "Model explanation", "body": "Explained."},
            {"type": "code_example", "title": "Model code", "body": "See:", "code_block": "print(1)"},
            {"type": "quiz", "title": "Model quiz", "body": "Why?", "answer": "Because."}]}
    if tool == "judge_material":
        return {"bloom_alignment": 0.9, "quality": 0.8, "feedback": "Fine."}
    raise AssertionError(f"unexpected tool {tool}")


@pytest.fixture
def settings_env(settings_env, fake_anthropic):
    fake_anthropic.responder = model
    settings_env["LEARNSTREAM_AI_PROVIDER"] = "anthropic"
    settings_env["LEARNSTREAM_ANTHROPIC_BASE_URL"] = fake_anthropic.base_url
    settings_env["LEARNSTREAM_ANTHROPIC_MAX_ATTEMPTS"] = "2"
    settings_env["LEARNSTREAM_ANTHROPIC_TIMEOUT"] = "2.5"  # a quick answer of a loaded test machine ends within it
    return settings_env


@pytest.fixture
def me(client):
    headers = sign_up(client, "byok@example.com")
    assert client.post("/api/auth/api-key", json={"apiKey": DEFAULT_KEY}, headers=headers).status_code == 200
    return headers


def test_the_model_writes_the_words_and_our_code_keeps_the_numbers(client, me, fake_anthropic):
    analysis = client.post("/api/gap-analysis", json={"proficiencyScores": SCORES}, headers=me)
    assert analysis.status_code == 200, analysis.text
    body = analysis.json()
    assert body["summary"] == "Model summary of your gaps."
    assert [(g["skillId"], g["gap"], g["priority"]) for g in body["gaps"]] == [
        ("rest_api_design", 55, "critical"), ("http_fundamentals", 30, "high"),
        ("kubernetes-operators", 5, "low")]
    assert all(g["recommendation"] == f"Model advice on {g['skillId']}." for g in body["gaps"])
    assert body["overallReadiness"] not in (1, None)
    request = fake_anthropic.messages_requests()[-1]
    assert request.api_key == DEFAULT_KEY and "gap 55, priority critical" in prompt_of(request.body)

    planned = client.post("/api/learning-plan", json={"gapAnalysis": body}, headers=me)
    assert planned.status_code == 200, planned.text
    written = planned.json()
    assert written["summary"] == "Model plan summary."
    assert [p["title"] for p in written["phases"]] == [f"Model phase {p['phaseNumber']}" for p in written["phases"]]
    assert written["totalHours"] == sum(p["estimatedHours"] for p in written["phases"]) != 1000
    ours = plan(KB, gaps(KB, [Proficiency(s["skillId"], s.get("skillName", ""), s["score"]) for s in SCORES]))
    assert [(p["concepts"], p["estimatedHours"]) for p in written["phases"]] == [
        ([c.concept_id for c in p.concepts], p.hours) for p in ours]


def test_a_recommendation_the_model_leaves_out_is_written_offline(client, me, fake_anthropic):
    fake_anthropic.responder = lambda body: ({"summary": "Short.", "recommendations": []}
                                             if body["tool_choice"]["name"] == "write_gap_analysis"
                                             else model(body))
    body = client.post("/api/gap-analysis", json={"proficiencyScores": SCORES[:1]}, headers=me).json()
    assert body["summary"] == "Short."
    assert body["gaps"][0]["recommendation"].startswith("Critical priority: raise REST API Design")


def test_the_seeds_anthropic_errors_arrive_as_http_statuses(client, me, fake_anthropic):
    def post() -> Any:
        return client.post("/api/gap-analysis", json={"proficiencyScores": SCORES}, headers=me)

    fake_anthropic.script(status(401))
    refused = post()
    assert refused.status_code == 401
    assert refused.json()["detail"] == "Your API key is invalid or has been revoked. Please update it in settings."
    fake_anthropic.script(status(429, headers={"retry-after": "45"}))
    limited = post()
    assert limited.status_code == 429 and limited.headers["retry-after"] == "45"
    assert limited.json()["detail"] == "Rate limit reached. Please wait a moment and try again."
    fake_anthropic.script(status(500), status(500))
    failing = post()
    assert failing.status_code == 502
    assert failing.json()["detail"] == "The AI service encountered an error. Please try again."
    fake_anthropic.script(delay(8), delay(8))
    slow = client.post("/api/learning-plan", headers=me, json={"gapAnalysis": {"gaps": [
        {"skillId": "sql_basics", "currentLevel": 10, "targetLevel": 80}]}})
    assert slow.status_code == 504
    assert slow.json()["detail"] == "The AI service timed out. Please try again."


def test_without_a_key_the_routes_answer_the_seeds_400(client):
    headers = sign_up(client, "keyless@example.com")
    for path, body in (("/api/gap-analysis", {"proficiencyScores": SCORES}),
                       ("/api/learning-plan", {"gapAnalysis": {"gaps": []}})):
        refused = client.post(path, json=body, headers=headers)
        assert refused.status_code == 400
        assert refused.json()["detail"] == "No API key configured. Please add your Anthropic API key in Settings."


def test_the_report_and_materials_are_written_by_the_model_once(client, me, container, fake_anthropic):
    sid = complete(client, me, pattern="w", skillIds=["python"])["sessionId"]
    first = client.get(f"/api/assessment/{sid}/report", headers=me)
    assert first.status_code == 200, first.text
    report = first.json()
    assert report["gapAnalysis"]["summary"] == "Model summary of your gaps."
    assert report["learningPlan"]["summary"] == "Model plan summary."
    calls = fake_anthropic.calls("write_gap_analysis")
    assert client.get(f"/api/assessment/{sid}/report", headers=me).content == first.content
    assert fake_anthropic.calls("write_gap_analysis") == calls  # recorded: not written again
    (recorded,) = logged(container, Assessment.AssessmentReported, sid)
    assert recorded.writer == "anthropic:claude-sonnet-4-5"

    materials = wait_for(lambda: client.get(f"/api/materials/{sid}", headers=me).json()["materials"])
    assert materials and all(m["bloomScore"] == 0.9 and m["qualityScore"] == 0.8 for m in materials)
    sections = materials[0]["material"]["sections"]
    assert sections[1] == {"type": "code_example", "title": "Model code", "body": "See:", "codeBlock": "print(1)"}
    assert fake_anthropic.calls("judge_material") == len(materials)

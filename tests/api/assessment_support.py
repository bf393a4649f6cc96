"""Helpers for the OpenLearning assessment tests: users by cookie, raw SSE parsing, answers that
the offline evaluator scores as strong or weak."""

from __future__ import annotations

from typing import Any

from infrastructure.knowledge_base import load_knowledge_base

KB = load_knowledge_base()
QUESTIONS = {q.text: c for r in KB.roles for c in r.concepts for q in c.questions}


def sign_up(client: Any, email: str) -> dict[str, str]:
    """Register; return the session cookie as a header so several users share one client."""
    response = client.post("/api/auth/register", json={"email": email, "password": "password-123"})
    assert response.status_code == 200, response.text
    token = client.cookies["access_token"]
    client.cookies.clear()
    return {"Cookie": f"access_token={token}"}


def events(raw: str) -> list[str]:
    """SSE events as their payloads: ``data:`` lines of one event joined by newlines."""
    assert raw.endswith("\n\n"), repr(raw[-20:])
    out = []
    for block in raw[:-2].split("\n\n"):
        lines = block.split("\n")
        assert all(line.startswith("data: ") for line in lines), block
        out.append("\n".join(line[len("data: "):] for line in lines))
    return out


def strong_answer(question: str) -> str:
    concept = QUESTIONS[question]
    return "In short: " + "; ".join(", ".join(p.keywords) for p in concept.key_points) + "."


def weak_answer(question: str) -> str:
    return "I am not sure, I would look it up."


def start(client: Any, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    body.setdefault("skillIds", ["python", "rest-api"])
    response = client.post("/api/assessment/start", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def respond(client: Any, headers: dict[str, str], session_id: str, answer: str) -> list[str]:
    response = client.post(
        f"/api/assessment/{session_id}/respond", json={"response": answer}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return events(response.text)

"""Helpers for the assessment results tests: a session played to its end, log reads."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.api.assessment_support import respond, start, strong_answer, weak_answer


def complete(client: Any, headers: dict[str, str], pattern: str = "sw", **body: Any) -> dict[str, Any]:
    """Start a quick backend session and answer it to the end: ``s`` strong, ``w`` weak, in
    turn. Returns ``{sessionId, scores}``."""
    body.setdefault("roleId", "backend_engineering")
    body.setdefault("skillIds", ["python", "sql"])
    body.setdefault("thoroughness", "quick")
    session = start(client, headers, **body)
    question = session["question"]
    for n in range(80):
        kind = pattern[n % len(pattern)]
        answer = strong_answer(question) if kind == "s" else weak_answer(question)
        got = respond(client, headers, session["sessionId"], answer)
        if got[0] == "[ASSESSMENT_COMPLETE]":
            scores = json.loads(got[1].removeprefix("```json").removesuffix("```"))["scores"]
            return {"sessionId": session["sessionId"], "scores": scores}
        question = got[0]
    raise AssertionError("the session did not complete")


def logged(container: Any, cls: type, originator: str | None = None) -> list[Any]:
    """Every event of the class in the log, in order (optionally of one aggregate)."""
    from eventsourcing.utils import get_topic

    found = container.events.read(0, 100_000, topics=[get_topic(cls)])
    return [e.event for e in found
            if originator is None or str(e.event.originator_id) == originator]


def wait_for(predicate: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)

"""Two API processes serve one session in turns (a load balancer's choice): each keeps the
session in memory between its turns, and a turn that starts from an out-of-date copy is run
once more from the log — the learner sees the next question, never a 409, and no answer is
counted twice or lost."""

from __future__ import annotations

import uuid
from typing import Any

from litestar.testing import TestClient

from api.app import create_app
from api.bootstrap import Container
from domain.assessment import Assessment
from tests.api.assessment_support import respond, sign_up, start, strong_answer


def test_a_session_answered_through_two_processes_in_turn(settings: Any, client: Any, container: Any) -> None:
    other = Container.build(settings)  # a second API process on the same stores
    try:
        with TestClient(app=create_app(other, run_followers=False)) as second:
            me = sign_up(client, "two@example.com")
            session = start(client, me, roleId="backend_engineering", skillIds=[], thoroughness="thorough")
            sid = session["sessionId"]
            question = session["question"]
            # First process answers (and keeps the session); the second answers next from the
            # log; the first then answers from its now out-of-date copy.
            for turn, serving in enumerate([client, second, client, second, client]):
                frames = respond(serving, me, sid, strong_answer(question) + f" ({turn})")
                assert not frames[0].startswith("[ERROR]"), frames[0]
                question = frames[0]
                assert frames[-1] == "[DONE]"
            agg = container.events.get(uuid.UUID(sid), Assessment)
            assert [a.number for a in agg.answers] == [1, 2, 3, 4, 5]
            assert agg.pending is not None and agg.pending.number == 6
            assert agg.pending.text == question
    finally:
        other.close()

"""The respond stream's frames as bytes: ``data: <payload>\\n\\n``, a multi-line payload as
several ``data:`` lines of one event, errors as ``[ERROR]{json}``."""

from __future__ import annotations

from litestar import Litestar, get
from litestar.response import ServerSentEvent
from litestar.testing import TestClient

from api.routes.assessment import error_frame, frame, model_error_frame, outcome_frames
from application.assessment import Completed, NextQuestion
from application.language_model import ModelRateLimited, ModelServerError


def _bytes(*messages) -> bytes:
    @get("/stream")
    async def stream() -> ServerSentEvent:
        async def gen():
            for m in messages:
                yield m

        return ServerSentEvent(gen())

    with TestClient(Litestar([stream])) as client:
        response = client.get("/stream")
        assert response.headers["content-type"].startswith("text/event-stream")
        return response.content


def test_a_multi_line_question_is_several_data_lines_of_one_event():
    question = NextQuestion(3, "Explain this code:\n\n    x = 1\nWhat happens?", {
        "type": "assessment", "topics_evaluated": 1, "total_questions": 3, "max_questions": 8})
    raw = _bytes(*outcome_frames(question), frame("[DONE]"))
    assert raw == (
        b"data: Explain this code:\ndata: \ndata:     x = 1\ndata: What happens?\n\n"
        b'data: [META]{"type":"assessment","topics_evaluated":1,"total_questions":3,"max_questions":8}\n\n'
        b"data: [DONE]\n\n"
    )


def test_completion_sends_the_fenced_scores_between_the_markers():
    scores = [{"skillId": "a", "skillName": "A", "score": 80, "confidence": 0.8, "reasoning": "r"}]
    raw = _bytes(*outcome_frames(Completed(scores)), frame("[DONE]"))
    assert raw == (
        b"data: [ASSESSMENT_COMPLETE]\n\n"
        b'data: ```json {"scores":[{"skillId":"a","skillName":"A","score":80,"confidence":0.8,"reasoning":"r"}]} ```\n\n'
        b"data: [DONE]\n\n"
    )


def test_errors_carry_status_detail_and_retry_after():
    raw = _bytes(model_error_frame(ModelRateLimited("slow down", retry_after=30)),
                 model_error_frame(ModelServerError("boom")), error_frame(409, "Session already completed"))
    assert raw == (
        b'data: [ERROR]{"status":429,"detail":"Rate limit reached. Please wait a moment and try again.","retryAfter":"30"}\n\n'
        b'data: [ERROR]{"status":502,"detail":"The AI service encountered an error. Please try again.","retryAfter":null}\n\n'
        b'data: [ERROR]{"status":409,"detail":"Session already completed","retryAfter":null}\n\n'
    )

"""OpenLearning assessment sessions (seed 002): start, respond over SSE, graph, resume, list.

``respond`` answers with Server-Sent Events framed exactly as the seed shows: each event is
``data: <payload>\\n\\n``; a multi-line payload (a question, the fenced scores) is several
``data:`` lines of one event. Everything a client can be told with a status code (401, 400
without a key, 403, 404, 409, 410, 422) is checked before the stream starts; what fails after
(the model, a concurrent answer) arrives as ``data: [ERROR]{json}``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, post
from litestar.params import Parameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from api.errors import STATUS
from api.params import Offset
from api.routes.openlearning_user import signed_in
from api.schemas import errors
from api.security import signed_in_first
from application.assessment import Assessments, Completed, NextQuestion, Outcome, Turn
from application.assessment_schemas import (
    AssessmentStartResponse,
    AssessmentSummary,
    KnowledgeGraphOut,
    RespondRequest,
    ResumeResponse,
    StartAssessment,
)
from application.authorization import Principal
from application.language_model import ModelError, ModelRateLimited, seed_error
from domain.errors import DomainError

log = logging.getLogger("learnstream.assessment")


def frame(payload: str) -> ServerSentEventMessage:
    """One event; Litestar writes each line of ``payload`` as its own ``data:`` line."""
    return ServerSentEventMessage(data=payload, sep="\n")


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def outcome_frames(outcome: Outcome) -> list[ServerSentEventMessage]:
    """Every frame of a turn but the final ``[DONE]``."""
    if isinstance(outcome, Completed):
        # One line, as the seed describes every event ("a line of the form data: <payload>"):
        # a client reading line by line, or splitting the stream at blank lines, gets the
        # whole fenced object in one payload, as a full SSE parser does.
        fenced = "```json " + _json({"scores": outcome.scores}) + " ```"
        return [frame("[ASSESSMENT_COMPLETE]"), frame(fenced)]
    assert isinstance(outcome, NextQuestion)
    return [frame(outcome.text), frame("[META]" + _json(outcome.meta))]


def error_frame(status: int, detail: str, retry_after: int | None = None) -> ServerSentEventMessage:
    body = {"status": status, "detail": detail,
            "retryAfter": None if retry_after is None else str(retry_after)}
    return frame("[ERROR]" + _json(body))


def model_error_frame(exc: ModelError) -> ServerSentEventMessage:
    status, detail = seed_error(exc)
    retry = exc.retry_after if isinstance(exc, ModelRateLimited) else None
    return error_frame(status, detail, retry)


async def turn_stream(assessments: Assessments, turn: Turn) -> AsyncIterator[ServerSentEventMessage]:
    try:
        outcome = await assessments.play(turn)
    except ModelError as exc:
        log.warning("model call failed during a turn: %s", exc.code)
        yield model_error_frame(exc)
        return
    except DomainError as exc:
        status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
        yield error_frame(status, exc.detail)
        return
    for message in outcome_frames(outcome):
        yield message
    if isinstance(outcome, NextQuestion):
        # Resumed past the yield: the question was handed to the server to send.
        assessments.delivered(turn.session_id, outcome.number)
    await assessments.settled(outcome)
    yield frame("[DONE]")


class AssessmentController(Controller):
    path = "/api/assessment"
    tags = ["assessment"]
    guards = [signed_in_first]

    @post("/start", operation_id="start_assessment", responses=errors(400, 401, 409, 413, 422, 502, 504), summary="Start a session; answers with the first question", status_code=200)
    async def start(self, assessments: Assessments, principal: Principal, data: StartAssessment) -> AssessmentStartResponse:
        return await assessments.start(signed_in(principal), data)

    @post("/{session_id:str}/respond", operation_id="respond_to_assessment", responses=errors(400, 401, 403, 404, 409, 410, 413, 422), summary="Answer the pending question; SSE: next question or completion", status_code=200)
    async def respond(self, assessments: Assessments, principal: Principal, session_id: str, data: RespondRequest) -> ServerSentEvent:
        turn = await assessments.begin_turn(signed_in(principal), session_id, data.response, data.question_id)
        return ServerSentEvent(turn_stream(assessments, turn))

    @get("/{session_id:str}/graph", operation_id="get_assessment_graph", responses=errors(401, 404), summary="The session's knowledge graph", sync_to_thread=False)
    def graph(self, assessments: Assessments, principal: Principal, session_id: str) -> KnowledgeGraphOut:
        return assessments.graph(signed_in(principal), session_id)

    @get("/{session_id:str}/resume", operation_id="resume_assessment", responses=errors(400, 401, 404, 409, 410, 502, 504), summary="The pending question of an unfinished session")
    async def resume(self, assessments: Assessments, principal: Principal, session_id: str) -> ResumeResponse:
        return await assessments.resume(signed_in(principal), session_id)


class UserAssessmentsController(Controller):
    path = "/api/user"
    tags = ["assessment"]
    guards = [signed_in_first]

    @get("/assessments", operation_id="list_my_assessments", responses=errors(401, 422), summary="The user's sessions, newest first", sync_to_thread=False)
    def sessions(
        self, assessments: Assessments, principal: Principal,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 100,
        offset: Offset = 0,
    ) -> list[AssessmentSummary]:
        return assessments.sessions(signed_in(principal), limit, offset)

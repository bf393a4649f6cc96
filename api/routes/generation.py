"""LearningStudio's generation job API (seed 001): submit (shared ``POST /api/v1/courses``),
poll, list, stream progress (SSE) and cancel.

Every error on these routes carries ``{"message", "code", "detail"}`` (LearningStudio's clients
read ``message``); validation failures are ``400 VALIDATION_ERROR`` naming the field and a bad
or missing credential is ``401 INVALID_API_KEY``. The same table serves the JSON branch of the
shared course-creation route, while its multipart branch keeps LearnHouse's shapes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import ServerSentEvent, ServerSentEventMessage

from api.errors import EXCEPTION_HANDLERS, HTTP_CODES, STATUS, error_response
from api.params import JobStatus, Limit, Page
from api.schemas import errors
from application.authorization import Principal
from application.generation import INVALID_KEY, Generation
from application.generation_views import JobPage, JobView
from domain.errors import DomainError, InvalidInput, Locked, Unauthenticated

log = logging.getLogger("learnstream.api")


def learningstudio_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if isinstance(exc, Unauthenticated):
        status, code, text = 401, "INVALID_API_KEY", INVALID_KEY
    elif isinstance(exc, InvalidInput):
        status, code, text = 400, "VALIDATION_ERROR", exc.detail
        extra["field"] = exc.field
    elif isinstance(exc, DomainError):
        status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
        code, text = exc.code, exc.detail
        if isinstance(exc, Locked):
            headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, ValidationException):
        status, code, text = 400, "VALIDATION_ERROR", _validation_text(exc)
    elif isinstance(exc, HTTPException):
        status, text = exc.status_code, str(exc.detail)
        code = "VALIDATION_ERROR" if status in (400, 422) else HTTP_CODES.get(status, "ERROR")
        status = 400 if status == 422 else status
        headers.update(exc.headers or {})
    else:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        status, code, text = 500, "INTERNAL_ERROR", "Internal server error"
    return error_response(status, text, code, headers, message=text, **extra)


def _validation_text(exc: ValidationException) -> str:
    problems = exc.extra if isinstance(exc.extra, list) else []
    if problems and isinstance(problems[0], dict):
        first = problems[0]
        key = str(first.get("key") or "").lstrip("$.")
        message = str(first.get("message") or exc.detail)
        return f"{key}: {message}" if key else message
    return str(exc.detail)


#: the table for the generation routes
GENERATION_ERRORS: dict[type[Exception] | int, Any] = {
    DomainError: learningstudio_error,
    ValidationException: learningstudio_error,
    HTTPException: learningstudio_error,
    Exception: learningstudio_error,
}


def _is_json(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("content-type", "").lower().startswith("application/json")


def _by_body(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if _is_json(request):
        return learningstudio_error(request, exc)
    handler: Callable[[Request[Any, Any, Any], Exception], Response[Any]] = next(
        h for cls, h in EXCEPTION_HANDLERS.items() if isinstance(cls, type) and isinstance(exc, cls)
    )
    return handler(request, exc)


#: the shared ``POST /api/v1/courses``: LearningStudio's shapes for a JSON body, LearnHouse's
#: for a form
COURSE_CREATE_ERRORS: dict[type[Exception] | int, Any] = {cls: _by_body for cls in GENERATION_ERRORS}


async def submit_generation(
    request: Request[Any, Any, Any], generation: Generation, principal: Principal,
    org_id: str | None = None,
) -> Response[Any]:
    """The JSON branch of ``POST /api/v1/courses``: queue a job, answer 202."""
    raw = await request.body()
    try:
        body = msgspec.json.decode(raw) if raw else None
    except msgspec.DecodeError:
        raise InvalidInput("body: malformed JSON", field="body") from None
    accepted = await generation.submit(
        principal, body, request.headers.get("idempotency-key"), org_id
    )
    return Response(accepted, status_code=202)


def _frame(view: JobView) -> ServerSentEventMessage:
    event = view.status if view.status in ("completed", "failed") else "progress"
    return ServerSentEventMessage(data=msgspec.json.encode(view).decode(), event=event)


async def _frames(views: AsyncIterator[JobView]) -> AsyncIterator[ServerSentEventMessage]:
    async for view in views:
        yield _frame(view)


class GenerationController(Controller):
    path = "/api/v1/courses/jobs"
    tags = ["generation"]
    exception_handlers = GENERATION_ERRORS

    @get(
        "/", operation_id="list_generation_jobs", responses=errors(400, 401, 403, 404),
        summary="The organization's generation jobs, newest first (filter with ?status=)",
    )
    async def list_jobs(
        self, generation: Generation, principal: Principal, status: JobStatus = None,
        page: Page = 1, limit: Limit = 20, org_id: str | None = None,
    ) -> JobPage:
        return await generation.jobs(principal, status, page, limit, org_id)

    @get("/{job_id:str}", operation_id="get_generation_job", responses=errors(401, 404), summary="A generation job's status, progress and course")
    async def poll(self, generation: Generation, principal: Principal, job_id: str) -> JobView:
        return await generation.job(principal, job_id)

    @get(
        "/{job_id:str}/events", operation_id="stream_generation_job", responses=errors(401, 404),
        summary="A generation job's progress as server-sent events, until it ends",
    )
    async def events(self, generation: Generation, principal: Principal, job_id: str) -> ServerSentEvent:
        return ServerSentEvent(_frames(await generation.watch(principal, job_id)))

    @delete(
        "/{job_id:str}", operation_id="cancel_generation_job", status_code=200, sync_to_thread=True,
        responses=errors(401, 403, 404, 409),
        summary="Cancel a generation job that has not finished (its credit is given back)",
    )
    def cancel(self, generation: Generation, principal: Principal, job_id: str) -> JobView:
        return generation.cancel(principal, job_id)

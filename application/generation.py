"""Generation: LearningStudio's asynchronous course-generation job API.

``submit`` decides everything before anything is queued (credential, rate limit, the body,
rights, plan, credits, idempotency) and then appends the job together with the credit it uses
(and the idempotency key's claim) in one append: a refused request leaves no job and uses no
credit; two racing requests can neither share a credit nor both take one idempotency key.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from application.authorization import Authorization, Principal
from application.generation_accounts import GenerationAccounts
from application.generation_views import (
    JOB_PREFIX,
    GenerationRequest,
    JobAccepted,
    JobPage,
    JobView,
    job_view,
    parse_request,
    poll_url,
    public_job_id,
)
from application.organizations import Organizations
from application.paging import page_of
from application.ports import ReadModelBarrier
from application.writer import Writer
from domain.claims import UniqueClaim
from domain.errors import Conflict, InvalidInput, Locked, NotFound, RuleBroken, Unauthenticated
from domain.generation_credits import CreditSlot, credit_id, month_of, require_credit
from domain.generation_jobs import COMPLETED, FAILED, STATUSES, GenerationJob
from domain.ids import claim_id
from infrastructure.read_store import Row
from projections.queries.generation_jobs import GenerationJobQueries
from projections.queries.identity import IdentityQueries

JOBS = ("generation_jobs",)
#: a completed job's course is read right after the poll says so
COURSE_MODELS = ("catalog", "content")
JOB_NOT_FOUND = "Job not found"
IDEMPOTENCY_WINDOW = timedelta(hours=24)
IDEMPOTENCY_KIND = "generation-idempotency"
INVALID_KEY = "Invalid API key"

#: ``await rate_check(key)`` → None when allowed, else seconds to wait
RateCheck = Callable[[str], Awaitable[float | None]]


class PositionBoard(ReadModelBarrier, Protocol):
    def position(self, name: str) -> int: ...


class RateLimitExceeded(Locked):
    """Too many generation requests for one key (30 a minute by default)."""

    code = "RATE_LIMIT_EXCEEDED"


class Generation:
    def __init__(
        self,
        writer: Writer,
        queries: GenerationJobQueries,
        authz: Authorization,
        orgs: Organizations,
        identity: IdentityQueries,
        accounts: GenerationAccounts,
        board: PositionBoard,
        *,
        rate_check: RateCheck,
        check_url: Callable[[str], str],
        require_https: bool,
        read_timeout: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._writer = writer
        self._q = queries
        self._authz = authz
        self._orgs = orgs
        self._identity = identity
        self.accounts = accounts
        self._board = board
        self._rate_check = rate_check
        self._check_url = check_url
        self._require_https = require_https
        self._read_timeout = read_timeout
        self._clock = clock
        # The next credit slot per (org, month) as this process last saw it: the read model
        # may lag behind this process's own appends.
        self._next_slot: dict[tuple[str, str], int] = {}

    # -- submit ---------------------------------------------------------------------------
    async def submit(
        self, principal: Principal, body: Any, idempotency_key: str | None = None,
        org_ref: str | None = None,
    ) -> JobAccepted:
        caller = _caller(principal)
        wait = await self._rate_check(caller)
        if wait is not None:
            seconds = max(1, int(wait + 0.999))
            raise RateLimitExceeded(
                f"Rate limit exceeded for this API key. Retry in {seconds} seconds.",
                retry_after=seconds,
            )
        request = parse_request(body)
        org_uuid = self._org_of(principal, org_ref)
        self._authz.require(principal, org_uuid, "courses", "create")
        if request.callback_url:
            request.callback_url = await asyncio.to_thread(self._callback, request.callback_url)
        key = (idempotency_key or "").strip()
        if len(key) > 255:
            raise InvalidInput("Idempotency-Key: at most 255 characters", field="Idempotency-Key")
        for _ in range(10):
            # The claim is read once per attempt and that copy is what the append extends: a
            # claim another request wrote since is then a version conflict, never a retake.
            claim = self._key_claim(org_uuid, key) if key else None
            earlier = self._earlier_job(claim)
            if earlier is not None:
                # A retry gets the first request's answer again, byte for byte (as with any
                # Idempotency-Key): the job's progress is what the poll route is for.
                return JobAccepted(
                    jobId=public_job_id(str(earlier.id)), status="pending",
                    pollUrl=poll_url(str(earlier.id)),
                )
            try:
                return await self._queue(principal, caller, org_uuid, request, key, claim)
            except IntegrityError:
                continue  # a credit or the key was taken meanwhile: decide again
        raise Conflict("Too many concurrent requests for this organization, please retry")

    def _callback(self, url: str) -> str:
        if self._require_https and not url.lower().startswith("https://"):
            raise InvalidInput("callbackUrl: must be an https:// URL", field="callbackUrl")
        try:
            # Seed 001's own example (``https://yourapp.com/...``) must be accepted where names
            # do not resolve (an offline host, a DNS outage): ``check_url`` is wired to let an
            # unresolved name through, and the sender checks every address it connects to.
            return self._check_url(url)
        except RuleBroken as exc:
            raise InvalidInput(f"callbackUrl: {exc.detail}", field="callbackUrl") from None

    async def _queue(
        self, principal: Principal, caller: str, org_uuid: str, request: GenerationRequest,
        key: str, claim: UniqueClaim | None,
    ) -> JobAccepted:
        month = month_of(datetime.fromtimestamp(self._clock(), UTC))
        used, returned = self._q.usage(org_uuid, month)
        slot = max(used, self._next_slot.get((org_uuid, month), 0))
        require_credit(self.accounts.plan_of(org_uuid), slot - returned)
        org_id = UUID(org_uuid)
        job = GenerationJob(
            org_id=org_id, author_id=_author(principal), requested_by=caller,
            subject=request.subject, format=request.format, language_id=request.language_id,
            outline=request.outline, add_ons=request.add_ons, callback_url=request.callback_url,
            credit_id=credit_id(org_id, month, slot),
        )
        credit = CreditSlot(org_id=org_id, month=month, slot=slot, job_id=job.id)
        # The callback secret must exist before the job that is signed with it.
        aggregates: list[Aggregate] = (
            self.accounts.ensure_callback_secret(org_uuid) if request.callback_url else []
        )
        aggregates += [credit, job]
        if key:
            aggregates.append(self._claim_key(org_uuid, key, job.id, claim))
        self._next_slot[(org_uuid, month)] = slot + 1
        # Answered once the job is in the log, without waiting for the jobs read model: the
        # job's reads wait for it instead (``Writer.caught_up``), so a burst of generated courses
        # being projected never holds up the next 202.
        await self._writer.save_async(*aggregates)
        job_uuid = str(job.id)
        return JobAccepted(jobId=public_job_id(job_uuid), status="pending", pollUrl=poll_url(job_uuid))

    def _key_claim(self, org_uuid: str, key: str) -> UniqueClaim | None:
        found: UniqueClaim | None = self._writer.events.get(
            claim_id(IDEMPOTENCY_KIND, f"{org_uuid}:{key}"), UniqueClaim
        )
        return found

    def _earlier_job(self, claim: UniqueClaim | None) -> GenerationJob | None:
        if claim is None or claim.owner_id is None:
            return None
        job = self._writer.events.get(claim.owner_id, GenerationJob)
        now = datetime.fromtimestamp(self._clock(), UTC)
        if job is None or now - claim.modified_on > IDEMPOTENCY_WINDOW:
            return None
        return job  # type: ignore[no-any-return]

    @staticmethod
    def _claim_key(org_uuid: str, key: str, job_id: UUID, claim: UniqueClaim | None) -> UniqueClaim:
        if claim is None:
            return UniqueClaim(kind=IDEMPOTENCY_KIND, value=f"{org_uuid}:{key}", owner_id=job_id)
        claim.retake(job_id)  # older than the window: the key now names this job
        return claim

    def _org_of(self, principal: Principal, org_ref: str | None) -> str:
        if principal.token is not None:
            return principal.token.org_uuid
        if org_ref:
            return self._orgs.org_uuid(org_ref)
        orgs = self._identity.orgs_of_user(str(principal.user_id))
        if len(orgs) != 1:
            raise InvalidInput(
                "org_id: Field required (you belong to several organizations)", field="org_id"
            )
        return str(orgs[0].org_uuid).removeprefix("org_")

    # -- reads ----------------------------------------------------------------------------
    async def job(self, principal: Principal, job_ref: str) -> JobView:
        row = await self._visible_async(principal, job_ref)
        if row["status"] == COMPLETED:
            # The poll says "completed": the course it names must be readable right away.
            await self._board.wait_async(int(row["position"]), COURSE_MODELS, self._read_timeout)
        return job_view(row)

    async def jobs(
        self, principal: Principal, status: str | None, page: int, limit: int, org_ref: str | None
    ) -> JobPage:
        _caller(principal)
        if status is not None and status not in STATUSES:
            raise InvalidInput(f"status: must be one of {', '.join(STATUSES)}", field="status")
        window = page_of(page, limit, 100)
        org_uuid = self._org_of(principal, org_ref)
        self._require_member(principal, org_uuid)
        await self._writer.caught_up_async(JOBS)  # what the caller submitted is listed
        rows = self._q.page(org_uuid, status, (window.number - 1) * window.limit, window.limit)
        return JobPage(
            jobs=[job_view(r) for r in rows], page=window.number, limit=window.limit,
            total=self._q.count(org_uuid, status),
        )

    async def watch(self, principal: Principal, job_ref: str) -> AsyncIterator[JobView]:
        """The job now and each time it changes, until it ends (the SSE route). The caller's
        right to see it is checked here, before anything is streamed."""
        return self._follow(principal, job_ref, await self._visible_async(principal, job_ref))

    async def _follow(self, principal: Principal, job_ref: str, row: Row) -> AsyncIterator[JobView]:
        seen = -1
        while True:
            if int(row["position"]) != seen:
                seen = int(row["position"])
                yield await self.job(principal, job_ref) if row["status"] == COMPLETED else job_view(row)
            if row["status"] in (COMPLETED, FAILED):
                return
            # Wake when the jobs read model moves on (any change), not on a timer.
            await self._board.wait_async(self._board.position(JOBS[0]) + 1, JOBS, 15.0)
            found = self._q.job(row["job_uuid"])
            row = found if found is not None else row

    # -- cancel ---------------------------------------------------------------------------
    def cancel(self, principal: Principal, job_ref: str) -> JobView:
        row = self._visible(principal, job_ref)
        self._authz.require(principal, row["org_uuid"], "courses", "create")
        by = _caller(principal)

        def apply() -> None:
            job = self._writer.events.get(UUID(row["job_uuid"]), GenerationJob)
            if job is None:
                raise NotFound(JOB_NOT_FOUND)
            job.cancel(by)
            credit = self._writer.events.get(job.credit_id, CreditSlot)
            if credit is not None:
                credit.give_back("cancelled")
            self._writer.save(job, credit, read_models=JOBS)

        self._writer.retrying(apply)
        found = self._q.job(row["job_uuid"])
        return job_view(found if found is not None else row)

    # -- helpers --------------------------------------------------------------------------
    def _visible(self, principal: Principal, job_ref: str) -> Row:
        """The job, if the caller is of its org; another org's job is not found (404)."""
        bare = _job_uuid(principal, job_ref)
        row = self._q.job(bare)
        if row is None:  # perhaps queued a moment ago: read once the model has the log's head
            self._writer.caught_up(JOBS)
            row = self._q.job(bare)
        return self._of_member(principal, row)

    async def _visible_async(self, principal: Principal, job_ref: str) -> Row:
        bare = _job_uuid(principal, job_ref)
        row = self._q.job(bare)
        if row is None:
            await self._writer.caught_up_async(JOBS)
            row = self._q.job(bare)
        return self._of_member(principal, row)

    def _of_member(self, principal: Principal, row: Row | None) -> Row:
        if row is None or not self._member(principal, row["org_uuid"]):
            raise NotFound(JOB_NOT_FOUND)
        return row

    def _member(self, principal: Principal, org_uuid: str) -> bool:
        if principal.token is not None:
            return principal.token.org_uuid == org_uuid
        return self._authz.is_member(principal, org_uuid)

    def _require_member(self, principal: Principal, org_uuid: str) -> None:
        if not self._member(principal, org_uuid):
            raise NotFound("Organization not found")


def _job_uuid(principal: Principal, job_ref: str) -> str:
    _caller(principal)
    bare = job_ref.removeprefix(JOB_PREFIX)
    try:
        UUID(bare)
    except ValueError:
        raise NotFound(JOB_NOT_FOUND) from None
    return bare


def _caller(principal: Principal) -> str:
    """The key a request is counted and recorded under; no credential is a 401."""
    if principal.token is not None:
        return principal.token.token_uuid
    if principal.user_id is not None:
        return f"user_{principal.user_id}"
    raise Unauthenticated(INVALID_KEY)


def _author(principal: Principal) -> UUID:
    if principal.user_id is not None:
        return principal.user_id
    assert principal.token is not None
    return UUID(principal.token.creator_uuid.removeprefix("user_"))

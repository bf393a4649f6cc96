"""A course-generation job: LearningStudio's asynchronous ``POST /api/v1/courses``, on the log.

The job records each finished step of its workflow with the step's validated output
(``GenerationProgressed``), so a worker that dies mid-job resumes from what the log says and
never asks the model again for a step it already has. Progress numbers come from here, not
from a model. A cancelled job reads as ``failed`` with the ``JOB_CANCELLED`` code, so the
seed's four statuses stay the only ones a client sees.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import Conflict

FORMATS = ("onepage", "classic")
ADD_ONS = ("practical-exercises", "wrapup", "assessment", "articles", "videos", "agreement")
#: add-ons that add something to each chapter (one model call covers every chapter)
PER_CHAPTER_ADD_ONS = ("practical-exercises", "assessment")
LANGUAGES = (
    "en-US", "en-GB", "en-AU", "en-CA", "en-IN", "pt-BR", "pt-PT", "es-ES", "es-MX", "es-419",
    "fr-FR", "fr-CA", "de-DE", "it-IT", "nl-NL", "pl-PL", "sv-SE", "da-DK", "nb-NO", "fi-FI",
    "cs-CZ", "sk-SK", "ro-RO", "hu-HU", "el-GR", "tr-TR", "ru-RU", "uk-UA", "he-IL", "ar-SA",
    "hi-IN", "bn-BD", "id-ID", "ms-MY", "th-TH", "vi-VN", "fil-PH", "ja-JP", "ko-KR", "zh-CN",
    "zh-TW",
)
SUBJECT_MAX = 200
OUTLINE_MAX = 9
TITLE_MAX = 200

PENDING, RUNNING, COMPLETED, FAILED = "pending", "running", "completed", "failed"
STATUSES = (PENDING, RUNNING, COMPLETED, FAILED)

# Job error codes (``error.code`` of a failed job), beside the model's own (``MODEL_*``).
ATTEMPTS_EXHAUSTED = "ATTEMPTS_EXHAUSTED"
JOB_CANCELLED = "JOB_CANCELLED"
INTERNAL_ERROR = "INTERNAL_ERROR"

OUTLINE_STEP = "outline"
ASSEMBLE_STEP = "assemble"

# Progress after each stage: the outline, every chapter, every add-on, the assembly.
_OUTLINE_DONE, _CHAPTERS_DONE, _ADD_ONS_DONE, _ASSEMBLED = 10, 70, 90, 95


def chapter_step(index: int) -> str:
    return f"chapter:{index}"


def add_on_step(name: str) -> str:
    return f"addon:{name}"


def planned_chapters(results: Mapping[str, Any]) -> int:
    outline = results.get(OUTLINE_STEP) or {}
    return len(outline.get("chapters") or ())


def progress_of(results: Mapping[str, Any], add_ons: int) -> int:
    """0-100 from the finished steps alone, whatever order parallel steps finished in."""
    if OUTLINE_STEP not in results:
        return 0
    if ASSEMBLE_STEP in results:
        return _ASSEMBLED
    chapters = planned_chapters(results)
    done = sum(1 for step in results if step.startswith("chapter:"))
    extras = sum(1 for step in results if step.startswith("addon:"))
    progress = _OUTLINE_DONE + (_CHAPTERS_DONE - _OUTLINE_DONE) * done // max(chapters, 1)
    if add_ons:
        progress += (_ADD_ONS_DONE - _CHAPTERS_DONE) * extras // add_ons
    return min(progress, _ASSEMBLED - 1)


class GenerationJob(Aggregate):
    class GenerationRequested(Aggregate.Created):
        org_id: UUID
        #: the course's author: the signed-in user, or the creator of the API token
        author_id: UUID
        #: ``user_<uuid>`` or ``apitoken_<uuid>``: who asked
        requested_by: str
        subject: str
        format: str
        language_id: str
        outline: list[str]
        add_ons: list[str]
        callback_url: str
        #: the credit this job used (``domain.generation_credits.CreditSlot``)
        credit_id: UUID

    @event(GenerationRequested)
    def __init__(
        self,
        org_id: UUID,
        author_id: UUID,
        requested_by: str,
        subject: str,
        format: str,
        language_id: str,
        outline: list[str],
        add_ons: list[str],
        callback_url: str,
        credit_id: UUID,
    ) -> None:
        self.org_id = org_id
        self.author_id = author_id
        self.requested_by = requested_by
        self.subject = subject
        self.format = format
        self.language_id = language_id
        self.outline = list(outline)
        self.add_ons = list(add_ons)
        self.callback_url = callback_url
        self.credit_id = credit_id
        self.status = PENDING
        self.progress = 0
        self.attempts = 0
        self.worker = ""
        self.generator = ""
        self.results: dict[str, dict[str, Any]] = {}
        self.course_id: UUID | None = None
        self.error_code = ""
        self.cancelled = False

    @property
    def finished(self) -> bool:
        return self.status in (COMPLETED, FAILED)

    # -- attempts -------------------------------------------------------------------------
    class GenerationStarted(Aggregate.Event):
        attempt: int
        worker: str
        generator: str

    @event(GenerationStarted)
    def _start(self, attempt: int, worker: str, generator: str) -> None:
        self.status = RUNNING
        self.attempts = attempt
        self.worker = worker
        self.generator = generator

    def start(self, worker: str, generator: str, max_attempts: int) -> bool:
        """Begin the next attempt; a job out of attempts fails instead (False)."""
        self._ensure_open()
        if self.attempts >= max_attempts:
            self.fail(ATTEMPTS_EXHAUSTED, f"The job did not finish in {max_attempts} attempts.")
            return False
        self._start(self.attempts + 1, worker, generator)
        return True

    class GenerationAttemptFailed(Aggregate.Event):
        attempt: int
        code: str
        message: str

    @event(GenerationAttemptFailed)
    def _attempt_failed(self, attempt: int, code: str, message: str) -> None:
        self.status = PENDING
        self.worker = ""

    def attempt_failed(self, code: str, message: str, max_attempts: int) -> None:
        """A failure another attempt may overcome; the last attempt's failure fails the job."""
        self._ensure_running()
        if self.attempts >= max_attempts:
            self.fail(code, message)
        else:
            self._attempt_failed(self.attempts, code, message)

    # -- steps ----------------------------------------------------------------------------
    class GenerationProgressed(Aggregate.Event):
        step: str
        progress: int
        #: the step's validated output, so the log alone can resume the workflow
        result: dict[str, Any]

    @event(GenerationProgressed)
    def _progressed(self, step: str, progress: int, result: dict[str, Any]) -> None:
        self.results[step] = result
        self.progress = progress

    def record_step(self, step: str, result: dict[str, Any]) -> bool:
        """Record a finished step (once: False when the log has it already)."""
        self._ensure_running()
        if step in self.results:
            return False
        progress = progress_of({**self.results, step: result}, len(self.add_ons))
        self._progressed(step, max(progress, self.progress), result)
        return True

    # -- endings --------------------------------------------------------------------------
    class GenerationCompleted(Aggregate.Event):
        """Carries the seed's course object (with the job's own fields), so a callback or a
        webhook payload is built from this event alone."""

        org_id: UUID
        course_id: UUID
        course_name: str
        headline: str
        format: str
        language_id: str
        share_url: str
        generator: str

    @event(GenerationCompleted)
    def _complete(
        self, org_id: UUID, course_id: UUID, course_name: str, headline: str, format: str,
        language_id: str, share_url: str, generator: str,
    ) -> None:
        self.status = COMPLETED
        self.progress = 100
        self.course_id = course_id

    def complete(self, course_id: UUID, course_name: str, headline: str, share_url: str) -> None:
        self._ensure_running()
        self._complete(
            self.org_id, course_id, course_name, headline, self.format, self.language_id,
            share_url, self.generator,
        )

    class GenerationFailed(Aggregate.Event):
        org_id: UUID
        code: str
        message: str

    @event(GenerationFailed)
    def _fail(self, org_id: UUID, code: str, message: str) -> None:
        self.status = FAILED
        self.error_code = code

    def fail(self, code: str, message: str) -> None:
        self._ensure_open()
        self._fail(self.org_id, code, message)

    class GenerationCancelled(Aggregate.Event):
        org_id: UUID
        by: str

    @event(GenerationCancelled)
    def _cancel(self, org_id: UUID, by: str) -> None:
        self.status = FAILED
        self.error_code = JOB_CANCELLED
        self.cancelled = True

    def cancel(self, by: str) -> None:
        if self.finished:
            raise JobFinished(f"The job is already {self.status}")
        self._cancel(self.org_id, by)

    # -- guards ---------------------------------------------------------------------------
    def _ensure_open(self) -> None:
        if self.finished:
            raise JobFinished(f"The job is already {self.status}")

    def _ensure_running(self) -> None:
        if self.status != RUNNING:
            raise JobNotRunning(f"The job is {self.status}, not running")


class JobFinished(Conflict):
    """The job completed, failed or was cancelled: nothing more can happen to it."""

    code = "JOB_FINISHED"


class JobNotRunning(Conflict):
    """A step was reported for a job that no attempt is running."""

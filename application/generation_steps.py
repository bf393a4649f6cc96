"""What the course-generation workflow (``generation_pipeline``) asks of the job it runs for:
its steps, recorded in the log, and the model. The runner implements it without importing the
workflow, so a process that never generates a course never imports LangGraph.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from application.generated_course import CoursePlan
from application.language_model import LanguageModel

Result = dict[str, Any]


class JobSteps(Protocol):
    """One running attempt of one job, as the workflow sees it."""

    async def step(self, step: str, ask: Callable[[], Awaitable[Result]]) -> Result:
        """The step's result: from the log when it is there, else ``ask()``, recorded."""
        ...

    async def commit(self, plan: CoursePlan) -> None:
        """Append the whole course with the job's completion, in one append."""
        ...


@dataclass(frozen=True)
class JobContext:
    steps: JobSteps
    model: LanguageModel

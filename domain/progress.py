"""Progress rules (pure): when a course counts as completed, and how far along a learner is.

The required set is the course's *published* activities: drafts are invisible to learners, so
they can neither block nor count towards completion.
"""

from __future__ import annotations

from collections.abc import Collection


def completion_requires_every_activity(
    required: Collection[str], completed: Collection[str]
) -> bool:
    """CompletionRequiresEveryActivity: every required activity done, and there is at least one
    (a course with no activities never completes by accident)."""
    return bool(required) and all(a in completed for a in required)


def progress_percent(done: int, total: int) -> float:
    """0-100 with one decimal; a course with nothing to do is 0 %, never NaN."""
    if total <= 0:
        return 0.0
    return round(100.0 * min(done, total) / total, 1)

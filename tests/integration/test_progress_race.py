"""Two concurrent completions of the last activities append EnrollmentCompleted exactly once."""

from __future__ import annotations

import threading
from uuid import UUID

from application.authorization import Principal
from domain.enrollments import enrollment_id
from tests.api.content_helpers import course_tree


def _completed_count(container, user: UUID, course_uuid: str) -> int:
    history = container.events.history(enrollment_id(user, UUID(course_uuid.removeprefix("course_"))))
    return sum(type(e).__name__ == "EnrollmentCompleted" for e in history)


def _race(container, principal, refs):
    barrier = threading.Barrier(len(refs))
    errors: list[BaseException] = []

    def run(ref: str) -> None:
        try:
            barrier.wait()
            container.learning.complete_activity(principal, ref)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(r,)) for r in refs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors


def test_racing_completions_append_enrollment_completed_once(api, client, container):
    admin = api.admin()
    for round_ in range(3):
        course, _, acts = course_tree(client, api, admin, activities=2, name=f"Race {round_}")
        learner = api.signup(1, f"racer{round_}@example.com")
        user = UUID(learner["user_uuid"].removeprefix("user_"))
        principal = Principal(user_id=user)
        # two different last activities at once (neither thread alone sees the course done)
        _race(container, principal, [a["activity_uuid"] for a in acts])
        assert _completed_count(container, user, course["course_uuid"]) == 1
        run = container.learning.run_for(principal, course["course_uuid"])
        assert run.status == "STATUS_COMPLETED" and run.progress_percent == 100.0


def test_racing_on_the_same_last_activity(api, client, container):
    admin = api.admin()
    course, _, acts = course_tree(client, api, admin, activities=2)
    learner = api.signup(1, "same@example.com")
    user = UUID(learner["user_uuid"].removeprefix("user_"))
    principal = Principal(user_id=user)
    container.learning.complete_activity(principal, acts[0]["activity_uuid"])
    _race(container, principal, [acts[1]["activity_uuid"]] * 2)
    assert _completed_count(container, user, course["course_uuid"]) == 1


def test_racing_completions_on_the_event_loop_append_enrollment_completed_once(api, client, container):
    """The path POST /trail/add_activity takes: both commands on one loop, interleaved at the
    append (each awaits its own), one of them re-decides after losing the race."""
    import asyncio

    admin = api.admin()
    for round_ in range(3):
        course, _, acts = course_tree(client, api, admin, activities=2, name=f"Loop race {round_}")
        learner = api.signup(1, f"looper{round_}@example.com")
        user = UUID(learner["user_uuid"].removeprefix("user_"))
        principal = Principal(user_id=user)

        async def both() -> None:
            await asyncio.gather(*(
                container.learning.complete_activity_async(principal, a["activity_uuid"]) for a in acts
            ))

        asyncio.run(both())
        assert _completed_count(container, user, course["course_uuid"]) == 1
        run = container.learning.run_for(principal, course["course_uuid"])
        assert run.status == "STATUS_COMPLETED" and run.progress_percent == 100.0

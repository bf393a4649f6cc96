"""Course analytics as an instructor reads them: the enrollment funnel, completion rate,
median days to complete and a daily series; and who may read them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from eventsourcing.utils import get_topic

from domain.enrollments import Enrollment
from infrastructure.event_store import LoggedEvent
from projections.engine.batch_writes import BatchWrites
from projections.queries.course_analytics import CourseAnalyticsQueries
from tests.api.content_helpers import course_tree

URL = "/api/v1/orgs/{org}/analytics/courses/{course}"


def test_the_funnel_of_a_course(api, client):
    admin = api.admin()
    course, _, acts = course_tree(client, api, admin, activities=2, name="Funnel")
    learners = [api.member(1, f"learner{i}@example.com") for i in range(3)]
    for learner in learners:
        client.post(f"/api/v1/trail/add_course/{course['course_uuid']}", headers=learner)
    for act in acts:
        client.post(f"/api/v1/trail/add_activity/{act['activity_uuid']}", headers=learners[0])
    client.post(f"/api/v1/trail/add_activity/{acts[0]['activity_uuid']}", headers=learners[1])
    response = client.get(URL.format(org=1, course=course["course_uuid"]), headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["enrolled"], body["started"], body["completed"]) == (3, 2, 1)
    assert body["completion_rate"] == 0.3333
    assert 0 <= body["median_days_to_complete"] < 0.01
    today = datetime.now(UTC).date().isoformat()
    assert body["until"] == today and len(body["daily"]) == 30
    assert body["daily"][-1] == {"day": today, "enrolled": 3, "started": 2, "completed": 1}
    assert sum(p["enrolled"] for p in body["daily"][:-1]) == 0
    week = client.get(URL.format(org=1, course=course["id"]), params={"since": "2020-01-01", "until": "2020-01-07"}, headers=admin)
    assert week.status_code == 200 and len(week.json()["daily"]) == 7
    assert week.json()["enrolled"] == 0 and week.json()["completion_rate"] is None


def test_who_may_read_a_courses_analytics(api, client):
    admin = api.admin()
    course = api.create_course(admin, name="Private numbers")
    url = URL.format(org=1, course=course["course_uuid"])
    learner = api.member(1, "learner@example.com")
    client.cookies.clear()
    assert client.get(url).status_code == 401
    assert client.get(url, headers=learner).status_code == 403
    acme = api.create_org(admin, "acme")
    assert client.get(URL.format(org=acme["id"], course=course["course_uuid"]), headers=admin).status_code == 404
    assert client.get(url, params={"since": "2024-02-01", "until": "2024-01-01"}, headers=admin).status_code == 422
    assert client.get(url, params={"since": "2020-01-01", "until": "2024-01-01"}, headers=admin).status_code == 422
    assert client.get(url, params={"since": "someday"}, headers=admin).status_code == 422


def logged(position: int, event: Any) -> LoggedEvent:
    return LoggedEvent(position, event)


def apply_in_batches(projection: Any, events: list[Any], sizes: list[int], forget: bool = False) -> None:
    """Apply ``events`` as a follower does, in batches of these sizes; ``forget``: the
    projection's memory is lost between batches (as after a restart)."""
    store, at = projection.store, 0
    for size in sizes:
        with store.transaction() as tx:
            writes = BatchWrites(tx, store.dialect, projection.shapes())
            for position, event in enumerate(events[at:at + size], start=10_000 + at):
                projection.apply(writes, logged(position, event), get_topic(type(event)))
            projection.before_commit(writes)
            writes.flush()
        at += size
        if forget:
            projection.resumed()


def enrollment_events(course_id: Any, org_id: Any, start: datetime, done_after_days: float | None) -> list[Any]:
    enrollment = uuid4()
    base = {"originator_id": enrollment, "originator_topic": get_topic(Enrollment)}
    events = [Enrollment.CourseEnrolled(
        **base, originator_version=1, timestamp=start, org_id=org_id, user_id=uuid4(), course_id=course_id,
    )]
    if done_after_days is not None:
        moment = start + timedelta(days=done_after_days)
        events.append(Enrollment.ActivityCompleted(
            originator_id=enrollment, originator_version=2, timestamp=moment, activity_id=uuid4(),
        ))
        events.append(Enrollment.EnrollmentCompleted(
            originator_id=enrollment, originator_version=3, timestamp=moment,
        ))
    return events


def test_median_days_and_daily_series_follow_the_events_times(container):
    projection = container.projections["course_analytics"]
    course_id, org_id = uuid4(), uuid4()
    start = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    events = [
        *enrollment_events(course_id, org_id, start, 2.0),
        *enrollment_events(course_id, org_id, start, 4.0),
        *enrollment_events(course_id, org_id, start + timedelta(days=1), 10.0),
        *enrollment_events(course_id, org_id, start + timedelta(days=1), None),
    ]
    apply_in_batches(projection, events, [len(events)])

    queries = CourseAnalyticsQueries(projection)
    funnel = queries.funnel(str(course_id), "2024-03-01", "2024-03-31")
    assert (funnel.enrolled, funnel.started, funnel.completed) == (4, 3, 3)
    assert funnel.days_to_complete == [2.0, 4.0, 10.0]
    daily = queries.daily(str(course_id), "2024-03-01", "2024-03-31")
    assert daily["2024-03-01"] == (2, 0, 0)
    assert daily["2024-03-02"] == (2, 0, 0)
    assert daily["2024-03-03"] == (0, 1, 1)
    assert daily["2024-03-05"] == (0, 1, 1)
    assert daily["2024-03-12"] == (0, 1, 1)
    assert queries.funnel(str(course_id), "2024-03-02", "2024-03-02").enrolled == 2


def reenrollment_events(course_id: Any, org_id: Any, start: datetime) -> list[Any]:
    """Enrolled, two activities done, re-enrolled, one done, then the course completed."""
    enrollment, day = uuid4(), timedelta(days=1)
    base = {"originator_id": enrollment}
    return [
        Enrollment.CourseEnrolled(
            **base, originator_topic=get_topic(Enrollment), originator_version=1, timestamp=start,
            org_id=org_id, user_id=uuid4(), course_id=course_id,
        ),
        Enrollment.ActivityCompleted(**base, originator_version=2, timestamp=start + day, activity_id=uuid4()),
        Enrollment.ActivityCompleted(**base, originator_version=3, timestamp=start + 2 * day, activity_id=uuid4()),
        Enrollment.CourseReenrolled(**base, originator_version=4, timestamp=start + 3 * day),
        Enrollment.ActivityCompleted(**base, originator_version=5, timestamp=start + 4 * day, activity_id=uuid4()),
        Enrollment.EnrollmentCompleted(**base, originator_version=6, timestamp=start + 5 * day),
        Enrollment.EnrollmentCompleted(**base, originator_version=7, timestamp=start + 6 * day),
    ]


def test_runs_are_counted_alike_in_one_batch_and_across_forgetful_batches(container):
    """The projection remembers each enrollment's run between events; a batch that starts
    without that memory (a restart, a rolled back batch) reads the run back and counts alike."""
    projection = container.projections["course_analytics"]
    queries = CourseAnalyticsQueries(projection)
    start = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    figures = []
    for sizes, forget in (([14], False), ([1] * 14, True), ([2, 3, 2, 7], True)):
        course_id, org_id = uuid4(), uuid4()
        # two learners on one timeline: each day's counts are added to across batches
        events = [*reenrollment_events(course_id, org_id, start), *reenrollment_events(course_id, org_id, start)]
        apply_in_batches(projection, events, sizes, forget)
        funnel = queries.funnel(str(course_id), "2024-05-01", "2024-05-31")
        figures.append((
            (funnel.enrolled, funnel.started, funnel.completed), funnel.days_to_complete,
            queries.daily(str(course_id), "2024-05-01", "2024-05-31"),
        ))
    assert figures[0] == (
        (4, 4, 2), [2.0, 2.0],
        {"2024-05-01": (2, 0, 0), "2024-05-02": (0, 2, 0), "2024-05-04": (2, 0, 0),
         "2024-05-05": (0, 2, 0), "2024-05-06": (0, 0, 2)},
    )
    assert figures[1] == figures[0] and figures[2] == figures[0]

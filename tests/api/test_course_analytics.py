"""Course analytics as an instructor reads them: the enrollment funnel, completion rate,
median days to complete and a daily series; and who may read them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from eventsourcing.utils import get_topic

from domain.enrollments import Enrollment
from infrastructure.event_store import LoggedEvent
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
    with container.read_store.transaction() as tx:
        for position, event in enumerate(events, start=10_000):
            projection.apply(tx, logged(position, event), get_topic(type(event)))
    from projections.queries.course_analytics import CourseAnalyticsQueries

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

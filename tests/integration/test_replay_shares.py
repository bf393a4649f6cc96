"""``learnstream replay --jobs``: read models are shared out over processes by the work each
has in the whole log, not in its last entries."""

from __future__ import annotations

from collections import Counter
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.utils import get_topic

from api import replay_jobs
from application.authorization import Principal
from application.catalog import CourseCreate
from application.content import ActivityDraft, ChapterImport
from domain.activities import Activity
from domain.enrollments import Enrollment

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def catalog_then_learners(container: Any) -> None:
    """A catalog loaded first, then only learners' completions: the log's tail is unlike its start."""
    admin = Principal(user_id=UUID(container.identity.user_by_email("admin@example.com")["user_uuid"]))
    for i in range(4):
        view = container.catalog.create_course(admin, 1, CourseCreate(name=f"Course {i}", description="d", about="a"))
        container.content.import_outline(admin, view.course_uuid, [ChapterImport(name="Part", activities=[
            ActivityDraft(name=f"Lesson {j}", content={"type": "doc", "content": [{"type": "text", "text": "words"}]})
            for j in range(25)
        ])])
    org = container.orgs.org_uuid(1)
    enrollments = []
    for _ in range(20):
        enrollment = Enrollment(org_id=org, user_id=uuid4(), course_id=uuid4())
        for _ in range(14):
            enrollment.complete_activity(uuid4(), ["never-all"])
        enrollments.append(enrollment)
    container.events.save(*enrollments)
    container.loop.stop()


def test_the_sample_is_spread_over_the_whole_log(container, catalog_then_learners, monkeypatch):
    monkeypatch.setattr(replay_jobs, "SAMPLE", 100)
    monkeypatch.setattr(replay_jobs, "WINDOWS", 10)
    log = container.events.read_entries(0, 10_000, (), None)
    created = get_topic(Activity.ActivityCreated)
    in_log = sum(str(e.topic) == created for e in log) / len(log)
    assert 0.2 < in_log < 0.5  # a third of the log, all of it before the learners

    sample = replay_jobs.sample_entries(container.events)

    assert 90 <= len(sample) <= 100
    assert len({e.id for e in sample}) == len(sample)
    topics = Counter(str(e.topic) for e in sample)
    assert abs(topics[created] / len(sample) - in_log) < 0.12
    assert topics[get_topic(Enrollment.ActivityCompleted)] > 0


def test_the_search_index_is_weighed_by_the_catalog_it_indexes(container, catalog_then_learners, monkeypatch):
    """The log ends with 280 completions; its last 100 entries would give the search index
    (the heaviest read model per event it handles) no work at all."""
    monkeypatch.setattr(replay_jobs, "SAMPLE", 100)
    monkeypatch.setattr(replay_jobs, "WINDOWS", 10)
    projections = list(container.projections.values())
    search = container.projections["search"]
    log = container.events.read_entries(0, 10_000, (), None)
    indexed = sum(str(e.topic) in search.topics for e in log) / len(log)

    weight = replay_jobs.weights(container.events, projections)

    expected = 1 + search.rebuild_cost * 100 * indexed
    assert abs(weight["search"] - expected) < 0.3 * expected, (weight, expected)
    groups = replay_jobs.shares(container.events, projections, 2)
    assert len(groups) == 2
    assert sorted(p.name for g in groups for p in g) == sorted(container.projections)

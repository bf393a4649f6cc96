"""Bulk loading courses (``CourseImport``): whole course trees, many to an append, served as
if each had been created through the API; checked for rights and fields before anything is
appended."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from application.authorization import Principal
from application.catalog import CourseCreate
from application.content import ActivityDraft, ChapterImport
from application.course_import import CourseOutline
from domain.errors import Forbidden, InvalidInput


def principal(container: Any, email: str) -> Principal:
    return Principal(user_id=UUID(container.identity.user_by_email(email)["user_uuid"]))


def outline(i: int, chapters: int = 2, activities: int = 3) -> CourseOutline:
    return CourseOutline(
        course=CourseCreate(name=f"Imported {i}", description="d", about="a", public=True),
        chapters=[
            ChapterImport(name=f"Part {c}", activities=[
                ActivityDraft(name=f"Lesson {c}.{a}", content={"type": "doc", "content": []})
                for a in range(activities)
            ])
            for c in range(chapters)
        ],
    )


def test_imported_courses_are_served_with_their_chapters_and_activities(api, client, container):
    admin = api.admin()
    told: list[int] = []

    uuids = container.course_import.import_courses(
        principal(container, "admin@example.com"), 1, [outline(i) for i in range(5)], per_append=2,
        progress=told.append,
    )

    assert told == [2, 4, 5]
    assert len(uuids) == 5
    for i, uuid in enumerate(uuids):  # readable at once: the import waited for the read models
        meta = client.get(f"/api/v1/courses/course_{uuid}/meta", headers=admin)
        assert meta.status_code == 200, meta.text
        body = meta.json()
        assert body["name"] == f"Imported {i}"
        assert [c["name"] for c in body["chapters"]] == ["Part 0", "Part 1"]
        assert [a["name"] for a in body["chapters"][1]["activities"]] == ["Lesson 1.0", "Lesson 1.1", "Lesson 1.2"]
    found = client.get("/api/v1/courses/org_slug/default/search?query=imported&page=1&limit=10", headers=admin)
    assert sorted(c["name"] for c in found.json()) == [f"Imported {i}" for i in range(5)]  # indexed too


def test_a_member_without_the_right_imports_nothing(api, container):
    api.member(1, "learner@example.com")
    head = container.events.last_position()

    with pytest.raises(Forbidden):
        container.course_import.import_courses(principal(container, "learner@example.com"), 1, [outline(0)])

    assert container.events.last_position() == head


def test_a_bad_outline_anywhere_imports_nothing(api, container):
    api.admin()
    head = container.events.last_position()
    bad = outline(2)
    bad.chapters[1].name = "  "

    with pytest.raises(InvalidInput, match="name must not be empty"):
        container.course_import.import_courses(
            principal(container, "admin@example.com"), 1, [outline(0), outline(1), bad], per_append=1
        )

    assert container.events.last_position() == head

"""Read-model Structs for course content, collections, trails and search. Field names follow
LearnHouse's ``ChapterRead``, ``ActivityRead``, ``CollectionRead``, ``TrailRead``…"""

from __future__ import annotations

from typing import Any

import msgspec

from application.views import CourseView, UserView


class ActivityView(msgspec.Struct, kw_only=True):
    id: int
    org_id: int
    course_id: int
    chapter_id: int
    activity_uuid: str
    course_uuid: str
    chapter_uuid: str
    name: str
    activity_type: str
    activity_sub_type: str
    content: dict[str, Any]
    details: dict[str, Any] | None
    published: bool
    lock_type: str
    version: int
    creation_date: str
    update_date: str


class ChapterView(msgspec.Struct, kw_only=True):
    id: int
    org_id: int
    course_id: int
    chapter_uuid: str
    course_uuid: str
    name: str
    description: str
    thumbnail_image: str
    creation_date: str
    update_date: str
    activities: list[ActivityView] = msgspec.field(default_factory=list)


class ActivityVersionView(msgspec.Struct, kw_only=True):
    version: int
    event: str
    timestamp: str
    restored_from: int | None = None


class TrailStepView(msgspec.Struct, kw_only=True):
    id: int
    complete: bool
    teacher_verified: bool = False
    grade: str = ""
    data: dict[str, Any] = msgspec.field(default_factory=dict)
    trailrun_id: int
    trail_id: int
    activity_id: int
    activity_uuid: str
    course_id: int
    org_id: int
    user_id: int
    creation_date: str
    update_date: str


class TrailRunView(msgspec.Struct, kw_only=True):
    id: int
    data: dict[str, Any] = msgspec.field(default_factory=dict)
    status: str
    trail_id: int
    course_id: int
    course_uuid: str
    course: dict[str, Any]
    org_id: int
    user_id: int
    total_activities: int
    completed_activities: int
    progress_percent: float
    started_at: str
    completed_at: str | None
    creation_date: str
    update_date: str
    steps: list[TrailStepView] = msgspec.field(default_factory=list)


class TrailView(msgspec.Struct, kw_only=True):
    id: int
    trail_uuid: str
    org_id: int | None
    user_id: int
    creation_date: str
    update_date: str
    runs: list[TrailRunView] = msgspec.field(default_factory=list)


class CourseMetaView(CourseView, kw_only=True):
    chapters: list[ChapterView] = msgspec.field(default_factory=list)
    trail: TrailRunView | None = None


class EnrollmentView(msgspec.Struct, kw_only=True):
    user: UserView
    status: str
    total_activities: int
    completed_activities: int
    progress_percent: float
    started_at: str
    completed_at: str | None


class CollectionView(msgspec.Struct, kw_only=True):
    id: int
    org_id: int
    collection_uuid: str
    name: str
    description: str
    public: bool
    courses: list[CourseView]
    creation_date: str
    update_date: str

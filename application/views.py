"""Read-model Structs returned by queries. Field names follow LearnHouse's public shapes
(``UserRead``, ``OrganizationRead``, ``RoleRead``, ``CourseRead``) so the API returns them as is."""

from __future__ import annotations

from typing import Any

import msgspec


class UserView(msgspec.Struct, kw_only=True):
    id: int
    user_uuid: str
    username: str
    first_name: str
    last_name: str
    email: str
    avatar_image: str = ""
    bio: str = ""
    details: dict[str, Any] = msgspec.field(default_factory=dict)
    profile: dict[str, Any] = msgspec.field(default_factory=dict)
    email_verified: bool = False
    last_login_at: str | None = None
    signup_method: str | None = None
    is_superadmin: bool = False
    creation_date: str = ""
    update_date: str = ""


class AnonymousUserView(msgspec.Struct):
    id: int = 0
    user_uuid: str = "user_anonymous"
    username: str = "anonymous"


class OrgView(msgspec.Struct, kw_only=True):
    id: int
    org_uuid: str
    name: str
    description: str
    slug: str
    email: str
    about: str | None = None
    socials: dict[str, Any] = msgspec.field(default_factory=dict)
    links: dict[str, Any] = msgspec.field(default_factory=dict)
    scripts: dict[str, Any] = msgspec.field(default_factory=dict)
    logo_image: str = ""
    thumbnail_image: str = ""
    previews: dict[str, Any] = msgspec.field(default_factory=dict)
    explore: bool = False
    label: str | None = None
    config: dict[str, Any] | None = None
    creation_date: str = ""
    update_date: str = ""


class RoleView(msgspec.Struct, kw_only=True):
    id: int
    org_id: int | None
    name: str
    description: str
    rights: dict[str, dict[str, bool]]
    role_type: str
    role_uuid: str
    creation_date: str = ""
    update_date: str = ""


class MemberView(msgspec.Struct, kw_only=True):
    user: UserView
    role: RoleView
    usergroups: list[Any] = msgspec.field(default_factory=list)
    joined_at: str = ""


class MemberPage(msgspec.Struct, kw_only=True):
    items: list[MemberView]
    total: int
    page: int
    limit: int


class AuthorView(msgspec.Struct, kw_only=True):
    user: UserView
    authorship: str = "CREATOR"
    authorship_status: str = "ACTIVE"
    creation_date: str = ""
    update_date: str = ""


class CourseView(msgspec.Struct, kw_only=True):
    id: int
    org_id: int
    org_uuid: str
    course_uuid: str
    name: str
    description: str
    about: str
    learnings: str | None
    tags: str | None
    thumbnail_type: str = "image"
    thumbnail_image: str = ""
    thumbnail_video: str = ""
    public: bool = False
    published: bool = False
    open_to_contributors: bool = False
    seo: dict[str, Any] | None = None
    extra_metadata: dict[str, Any] | None = None
    creation_date: str = ""
    update_date: str = ""
    authors: list[AuthorView] = msgspec.field(default_factory=list)

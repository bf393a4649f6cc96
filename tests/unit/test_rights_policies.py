"""Rights policies, the built-in roles, and the Course/Org/Membership aggregates' guards."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.courses import Course
from domain.errors import Conflict, Gone, InvalidInput, NotFound
from domain.memberships import Membership
from domain.orgs import Org
from domain.rights import (
    ADMIN_ROLE,
    BUILTIN_ROLES,
    RESOURCES,
    USER_ROLE,
    allows,
    builtin_rights,
    exceeds,
    normalise_rights,
)


def rights(role: str) -> dict[str, dict[str, bool]]:
    found = builtin_rights(role)
    assert found is not None
    return found


def test_builtin_roles_ids_and_names():
    assert {uuid: (entry[0], entry[1]) for uuid, entry in BUILTIN_ROLES.items()} == {
        "role_global_admin": (1, "Admin"),
        "role_global_maintainer": (2, "Maintainer"),
        "role_global_instructor": (3, "Instructor"),
        "role_global_user": (4, "User"),
    }


def test_builtin_rights_cover_every_resource_and_action():
    for uuid in BUILTIN_ROLES:
        granted = rights(uuid)
        assert set(granted) == set(RESOURCES)
        for resource, actions in RESOURCES.items():
            assert set(granted[resource]) == set(actions)
            assert all(isinstance(v, bool) for v in granted[resource].values())


def test_admin_may_do_everything():
    admin = rights(ADMIN_ROLE)
    for resource, actions in RESOURCES.items():
        assert all(admin[resource][a] for a in actions), resource


@pytest.mark.parametrize(
    ("role", "resource", "action", "owner", "expected"),
    [
        ("role_global_maintainer", "courses", "update", False, True),
        ("role_global_maintainer", "organizations", "update", False, False),
        ("role_global_maintainer", "roles", "create", False, False),
        ("role_global_maintainer", "users", "delete", False, False),
        ("role_global_instructor", "courses", "create", False, True),
        ("role_global_instructor", "courses", "update", False, False),
        ("role_global_instructor", "courses", "update", True, True),
        ("role_global_instructor", "courses", "delete", True, True),
        ("role_global_instructor", "courses", "delete", False, False),
        ("role_global_instructor", "roles", "read", False, False),
        ("role_global_user", "courses", "create", False, False),
        ("role_global_user", "courses", "read", False, True),
        ("role_global_user", "courses", "update", True, False),
        ("role_global_user", "courses", "delete", False, False),
        ("role_global_user", "organizations", "update", False, False),
    ],
)
def test_allows(role, resource, action, owner, expected):
    assert allows(rights(role), resource, action, owner=owner) is expected


def test_allows_unknown_resource_is_false():
    assert allows(rights(ADMIN_ROLE), "spaceships", "read") is False
    assert allows({}, "courses", "read", owner=True) is False


def test_builtin_rights_are_copies():
    mine = rights(USER_ROLE)
    mine["courses"]["action_create"] = True
    assert rights(USER_ROLE)["courses"]["action_create"] is False


def test_normalise_fills_missing_with_false_and_refuses_unknowns():
    out = normalise_rights({"courses": {"action_read": True}})
    assert out["courses"]["action_read"] is True
    assert out["courses"]["action_update_own"] is False
    assert set(out) == set(RESOURCES)
    assert normalise_rights(None) == normalise_rights({})
    for raw, needle in (
        ({"courses": {"action_fly": True}}, "courses.action_fly"),
        ({"spaceships": {}}, "spaceships"),
        ({"courses": []}, "courses"),
        ({"courses": {"action_read": 1}}, "courses.action_read"),
        ([], "object"),
    ):
        with pytest.raises(ValueError, match=needle):
            normalise_rights(raw)


def test_exceeds_names_the_first_right_not_held():
    instructor = rights("role_global_instructor")
    assert exceeds(normalise_rights({"courses": {"action_create": True}}), instructor) is None
    assert exceeds(normalise_rights({"courses": {"action_update": True}}), instructor) == "courses.action_update"
    assert exceeds(normalise_rights({}), {}) is None
    assert exceeds(rights(ADMIN_ROLE), rights(ADMIN_ROLE)) is None


# -- aggregates ----------------------------------------------------------------------------

def new_course(**overrides: object) -> Course:
    fields: dict[str, object] = dict(
        org_id=uuid4(), author_id=uuid4(), name="n", description="d", about="a", learnings="",
        tags="", public=True, published=True, thumbnail_image="",
    )
    fields.update(overrides)
    return Course(**fields)  # type: ignore[arg-type]


def test_course_update_records_only_real_changes_of_known_fields():
    course = new_course()
    course.update({"name": "n", "author_id": uuid4(), "deleted": True})
    assert course.version == 1 and course.deleted is False
    course.update({"name": "new", "about": "a"})
    events = course.collect_events()
    assert [type(e).__name__ for e in events] == ["CourseCreated", "CourseUpdated"]
    assert events[-1].changes == {"name": "new"}  # type: ignore[attr-defined]


def test_course_refuses_blank_required_text():
    course = new_course()
    for field in ("name", "description", "about"):
        with pytest.raises(InvalidInput) as caught:
            course.update({field: "  "})
        assert caught.value.field == field


def test_course_publish_toggle_is_idempotent():
    course = new_course(published=False)
    course.set_published(False)
    course.set_published(True)
    course.set_published(True)
    course.set_published(False)
    names = [type(e).__name__ for e in course.collect_events()]
    assert names == ["CourseCreated", "CoursePublished", "CourseUnpublished"]


def test_deleted_course_refuses_everything():
    course = new_course()
    course.delete()
    for act in (lambda: course.update({"name": "x"}), lambda: course.set_published(False), course.delete):
        with pytest.raises(NotFound, match="Course not found"):
            act()


def test_org_guards():
    org = Org(name="A", slug="a", description="", email="", creator_id=None)
    org.update({"name": "A"})
    assert org.version == 1
    org.update({"name": "B", "slug": "b"})
    assert (org.name, org.slug, org.version) == ("B", "b", 2)
    org.delete()
    with pytest.raises(Gone):
        org.update({"name": "C"})
    with pytest.raises(Gone):
        org.delete()


def test_membership_guards():
    member = Membership(org_id=uuid4(), user_id=uuid4(), role_uuid=USER_ROLE)
    member.change_role(USER_ROLE)
    assert member.version == 1
    member.change_role(ADMIN_ROLE)
    assert member.role_uuid == ADMIN_ROLE
    with pytest.raises(Conflict):
        member.rejoin(USER_ROLE)
    member.remove()
    member.remove()
    assert member.active is False and member.version == 3
    with pytest.raises(Conflict):
        member.change_role(USER_ROLE)
    member.rejoin(USER_ROLE)
    assert member.active and member.role_uuid == USER_ROLE

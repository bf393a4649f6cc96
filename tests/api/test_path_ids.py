"""Ids in paths follow one rule: ASCII digits within int64, or the prefixed uuid form.

Each request below answered 500 once (non-ASCII digits such as '²', or numbers past 64 bits);
now every one is a plain 404 or 422 with a ``detail``.
"""

from __future__ import annotations

from typing import Any

import pytest

from domain.ids import INT64_MAX, numeric_id, ref_lookup

ONCE_500 = [
    ("DELETE", "/api/v1/courses/%C2%B2", 404),
    ("POST", "/api/v1/trail/add_course/%C2%B2", 404),
    ("DELETE", "/api/v1/trail/remove_course/999999999999999999999999999999", 404),
    ("GET", "/api/v1/activities/id/9154884221680672047104", 422),
    ("GET", "/api/v1/orgs/%C2%B28/api-tokens", 404),
    ("POST", "/api/v1/activities/%C2%B3/versions/1118229043/restore", 404),
    ("GET", f"/api/v1/courses/id/{INT64_MAX + 1}", 422),
    ("GET", "/api/v1/courses/id/%C2%B2", 422),
    ("GET", f"/api/v1/chapters/{INT64_MAX + 1}", 404),
    ("GET", "/api/v1/collections/%D9%A3", 404),  # Arabic-Indic three
    ("GET", f"/api/v1/orgs/{10**25}", 404),
]


@pytest.mark.parametrize(("method", "path", "status"), ONCE_500)
def test_odd_ids_get_a_clear_4xx(api: Any, method: str, path: str, status: int) -> None:
    response = api.client.request(method, path, headers=api.admin())
    assert response.status_code == status, response.text
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]


def test_a_real_numeric_id_still_finds_its_course(api: Any) -> None:
    admin = api.admin()
    course = api.create_course(admin, name="By number")
    found = api.client.get(f"/api/v1/courses/id/{course['id']}", headers=admin)
    assert found.status_code == 200 and found.json()["course_uuid"] == course["course_uuid"]


def test_the_rule() -> None:
    assert numeric_id("42") == 42
    assert numeric_id(str(INT64_MAX)) == INT64_MAX
    assert numeric_id(str(INT64_MAX + 1)) is None
    assert numeric_id("²") is None and numeric_id("٣") is None and numeric_id("-1") is None
    assert numeric_id("") is None
    assert ref_lookup("course_abc", "course") == ("uuid", "abc")
    assert ref_lookup("9" * 30, "course") == ("id", -1)
    assert ref_lookup("²", "course") == ("uuid", "²")


def test_an_offset_past_the_database_integer_is_refused(api: Any) -> None:
    # answered 500 once: SQLite cannot bind an integer past 64 bits
    response = api.client.get(f"/api/user/assessments?offset={10**20}", headers=api.admin())
    assert response.status_code in (400, 422), response.text
    assert response.json()["detail"]
    fine = api.client.get("/api/user/assessments?offset=5", headers=api.admin())
    assert fine.status_code == 200 and fine.json() == []

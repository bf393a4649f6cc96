"""Uploaded course thumbnails are served at ``/content/{thumbnail_image}`` (and at LearnHouse's
``/content/[orgs/]{org_uuid}/courses/{course_uuid}/thumbnails/{file}``), to whoever may see
the course, with the stored image's content type, and nothing outside the storage root."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from application.course_files import parse_content_path
from domain.errors import RuleBroken
from infrastructure.file_storage import LocalFileStorage
from tests.api.test_tenant_isolation import account

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x01\x02" * 20
JPEG = b"\xff\xd8\xff\xe0" + b"\x10" * 40


def course_with_thumbnail(
    client: Any, headers: dict[str, str], org_id: int = 1, public: bool = True,
    image: tuple[str, bytes, str] = ("cover.png", PNG, "image/png"),
) -> dict[str, Any]:
    fields = {"name": "Painting", "description": "d", "about": "a", "public": "true" if public else "false"}
    files: dict[str, Any] = {k: (None, v) for k, v in fields.items()}
    files["thumbnail"] = image
    response = client.post(f"/api/v1/courses/?org_id={org_id}", files=files, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_public_courses_thumbnail_is_served_at_the_path_the_course_gives(client, api):
    course = course_with_thumbnail(client, api.admin())
    client.cookies.clear()
    response = client.get(f"/content/{course['thumbnail_image']}")
    assert response.status_code == 200, response.text
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "public, max-age=86400"
    assert response.headers["content-disposition"].startswith("inline")


def test_learnhouse_client_paths_serve_the_same_file(client, api):
    course = course_with_thumbnail(client, api.admin(), image=("cover.jpg", JPEG, "image/jpeg"))
    client.cookies.clear()
    org_uuid, course_uuid = course["org_uuid"], course["course_uuid"]
    name = course["thumbnail_image"].rsplit("/", 1)[1]
    for path in (
        f"/content/orgs/{org_uuid}/courses/{course_uuid}/thumbnails/{name}",
        f"/content/{org_uuid}/courses/{course_uuid}/thumbnails/{name}",
        f"/content/{org_uuid}/courses/{course_uuid}/thumbnails/{course['thumbnail_image']}",
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, response.text)
        assert (response.content, response.headers["content-type"]) == (JPEG, "image/jpeg"), path


def test_a_private_courses_thumbnail_needs_the_right_to_see_the_course(client, api):
    admin = api.admin()
    course = course_with_thumbnail(client, admin, public=False)
    member = api.member(1, "member@example.com")
    outsider = account(client, "outsider@b.example")
    api.create_org(outsider, "org-b")
    path = f"/content/{course['thumbnail_image']}"
    seen = client.get(path, headers=member)
    assert seen.status_code == 200 and seen.content == PNG
    # Depends on who asks: no shared cache may keep it.
    assert seen.headers["cache-control"] == "private, no-cache"
    assert client.get(path, headers=outsider).status_code == 404
    client.cookies.clear()
    anonymous = client.get(path)
    assert anonymous.status_code == 404
    assert anonymous.json() == {"detail": "File not found", "code": "NOT_FOUND"}
    assert PNG not in anonymous.content


def test_only_the_file_the_course_names_under_its_own_org_is_served(client, api):
    admin = api.admin()
    course = course_with_thumbnail(client, admin)
    other = api.create_org(admin, "org-b")
    other_course = course_with_thumbnail(client, admin, other["id"])
    client.cookies.clear()
    folder, name = course["thumbnail_image"].rsplit("/", 1)
    other_name = other_course["thumbnail_image"].rsplit("/", 1)[1]
    for path in (
        f"/content/{folder}/other_{name}",  # not the file the course names
        f"/content/{folder}/{other_name}",  # another course's file under this course's folder
        f"/content/{other['org_uuid']}/courses/{course['course_uuid']}/thumbnails/{name}",  # wrong org
        "/content/courses/course_00000000-0000-0000-0000-000000000000/cover.png",
        "/content/avatars/someone.png",
    ):
        response = client.get(path)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["detail"] == "File not found", path
    # A course without a thumbnail has nothing to serve.
    bare = api.create_course(admin, 1, name="No picture")
    client.cookies.clear()
    assert client.get(f"/content/courses/{bare['course_uuid']}/cover.png").status_code == 404


def test_paths_that_try_to_leave_their_folder_are_400(client, api):
    course = course_with_thumbnail(client, api.admin())
    client.cookies.clear()
    folder = course["thumbnail_image"].rsplit("/", 1)[0]
    for path in (
        f"/content/{folder}/%2e%2e/%2e%2e/%2e%2e/read_models.sqlite3",
        "/content/courses/%2e%2e/jwt_secret",
        f"/content/{folder}/.%2fcover.png",
    ):
        response = client.get(path)
        assert response.status_code == 400, (path, response.text)
        assert response.json() == {"detail": "Invalid path", "code": "INVALID_PATH"}, path
    # The router merges the slashes of an absolute path; what is left names no course.
    assert client.get("/content//etc/passwd").status_code == 404
    with pytest.raises(RuleBroken):
        parse_content_path("/etc/passwd")


def test_a_stored_file_replaced_by_a_symlink_out_of_the_root_is_not_served(client, api, container, tmp_path):
    course = course_with_thumbnail(client, api.admin())
    secret = tmp_path / "secret.png"
    secret.write_bytes(PNG + b"secret")
    stored = Path(container.settings.data_dir) / "files" / course["thumbnail_image"]
    stored.unlink()
    os.symlink(secret, stored)
    client.cookies.clear()
    response = client.get(f"/content/{course['thumbnail_image']}")
    assert response.status_code == 404
    assert b"secret" not in response.content


def test_storage_refuses_siblings_that_share_the_roots_name(tmp_path):
    storage = LocalFileStorage(tmp_path / "files")
    kept = storage.save("courses/course_1", "thumbnail.png", PNG)
    assert storage.open(kept) is not None
    sibling = tmp_path / "files2" / "leak.png"
    sibling.parent.mkdir()
    sibling.write_bytes(PNG)
    assert storage.open("../files2/leak.png") is None
    assert storage.open(str(sibling)) is None
    assert storage.open("courses/course_1/missing.png") is None

"""Seed 000, step by step: create a token with a user JWT, smoke-test it with a courses read,
create a course with it (then chapters and search where those routes exist)."""

from __future__ import annotations

import re


def create_token(client, headers, org_id=1, **body):
    payload = {"name": "My integration", "description": "Server-side automation", "expires_at": None}
    payload.update(body)
    return client.post(f"/api/v1/orgs/{org_id}/api-tokens", json=payload, headers=headers)


def test_seed_000_walkthrough(api, client):
    admin = api.admin()
    created = create_token(client, admin)
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["token"].startswith("lh_") and len(body["token"]) >= 3 + 43
    assert re.fullmatch(r"apitoken_[0-9a-f-]{36}", body["token_uuid"])
    assert body["name"] == "My integration"
    assert body["token_prefix"] == body["token"][:12]
    assert body["org_id"] == 1
    for key in ("description", "rights", "created_by_user_id", "creation_date", "expires_at"):
        assert key in body
    token = {"Authorization": f"Bearer {body['token']}"}

    smoke = client.get("/api/v1/courses/org_slug/default/page/1/limit/10", headers=token)
    assert smoke.status_code == 200, smoke.text
    assert smoke.json() == []

    course = api.create_course(token, org_id=1, name="Introduction to Python")
    assert course["name"] == "Introduction to Python"
    listed = client.get("/api/v1/courses/org_slug/default/page/1/limit/20", headers=token).json()
    assert [c["course_uuid"] for c in listed] == [course["course_uuid"]]


def test_seed_000_chapters_and_search_with_the_token(api, client):
    admin = api.admin()
    token = {"Authorization": f"Bearer {create_token(client, admin).json()['token']}"}
    course = api.create_course(token, org_id=1, name="Introduction to Python")
    chapter = client.post(
        "/api/v1/chapters/",
        json={"name": "Getting started", "org_id": 1, "course_id": course["id"]},
        headers=token,
    )
    assert chapter.status_code == 200, chapter.text
    found = client.get(
        "/api/v1/courses/org_slug/default/search?query=python&page=1&limit=10", headers=token
    )
    assert found.status_code == 200, found.text
    assert [c["course_uuid"] for c in found.json()] == [course["course_uuid"]]


def test_a_token_cannot_create_chapters_without_the_right(api, client):
    admin = api.admin()
    course = api.create_course(admin)
    rights = {"courses": {"action_read": True, "action_update": True}}
    narrow = create_token(client, admin, name="narrow", rights=rights).json()["token"]
    refused = client.post(
        "/api/v1/chapters/",
        json={"name": "Getting started", "org_id": 1, "course_id": course["id"]},
        headers={"Authorization": f"Bearer {narrow}"},
    )
    assert refused.status_code == 403

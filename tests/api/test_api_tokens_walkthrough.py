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

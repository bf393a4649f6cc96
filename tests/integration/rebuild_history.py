"""A long mixed history, written through the API the way users write it: what the rebuild
tests replay. Each round touches every read model, with creations, changes and deletions
interleaved, so a rebuild's batches cut through all kinds of sequences."""

from __future__ import annotations

from typing import Any

from tests.api.content_helpers import create_activity, create_chapter


def ok(response: Any) -> Any:
    assert response.status_code in (200, 201, 202), (
        response.request.method, str(response.request.url), response.status_code, response.text,
    )
    return response.json() if response.content else None


def mixed_history(api: Any, client: Any, rounds: int = 3) -> dict[str, Any]:
    """Needs ``LEARNSTREAM_WEBHOOKS_ALLOW_PRIVATE=1`` (its webhook endpoint is on loopback) and
    no delivery worker running (the deliveries stay queued as the publisher wrote them)."""
    admin = api.admin()
    beta = api.create_org(admin, "beta")
    doomed_org = api.create_org(admin, "doomed")
    learners = [api.member(1, f"learner{i}@example.com") for i in range(3)]
    hook = ok(client.post(
        "/api/v1/orgs/1/webhooks/",
        json={"url": "http://127.0.0.1:9/in", "events": ["course_created", "activity_created", "course_updated"],
              "description": "rebuild"},
        headers=admin,
    ))
    role = ok(client.post("/api/v1/roles/org/1", json={
        "name": "Reviewer", "description": "reads", "rights": {"courses": {"action_read": True}},
    }, headers=admin))
    token = ok(client.post("/api/v1/orgs/1/api-tokens", json={"name": "ci"}, headers=admin))
    courses: list[dict[str, Any]] = []
    for r in range(rounds):
        org_id = 1 if r % 2 == 0 else beta["id"]
        made = [api.create_course(admin, org_id=org_id, name=f"Round {r} course {i}", public=i % 2 == 0) for i in range(3)]
        courses += made
        first, second = made[0], made[1]
        ok(client.put(f"/api/v1/courses/{first['course_uuid']}", json={"name": f"Renamed {r}", "public": False}, headers=admin))
        ok(client.put(f"/api/v1/courses/{second['course_uuid']}", json={"published": False}, headers=admin))
        chapters = [create_chapter(client, admin, first, f"Part {r}.{i}") for i in range(2)]
        acts = []
        for c, chapter in enumerate(chapters):
            for i in range(3):
                acts.append(create_activity(
                    client, admin, chapter, name=f"Café {r}.{c}.{i}", published=i != 1,
                    content={"type": "doc", "content": [{"type": "text", "text": f"crème brûlée lesson {r} {i}"}]},
                ))
        ok(client.put(f"/api/v1/activities/{acts[0]['activity_uuid']}", json={"name": "Edited", "published": True}, headers=admin))
        ok(client.post(f"/api/v1/activities/{acts[0]['activity_uuid']}/versions/1/restore", headers=admin))
        ok(client.put(f"/api/v1/chapters/{chapters[0]['id']}", json={"name": f"Renamed part {r}"}, headers=admin))
        ok(client.put(f"/api/v1/chapters/course/{first['course_uuid']}/order", json={"chapter_order_by_ids": [
            {"chapter_id": chapters[1]["id"], "activities_order_by_ids": [{"activity_id": a["id"]} for a in acts[3:][::-1]]},
            {"chapter_id": chapters[0]["id"], "activities_order_by_ids": [{"activity_id": a["id"]} for a in acts[:3]]},
        ]}, headers=admin))
        collection = ok(client.post("/api/v1/collections/", json={
            "name": f"Set {r}", "public": True, "org_id": org_id, "courses": [first["id"]],
        }, headers=admin))
        ok(client.put(f"/api/v1/collections/{collection['collection_uuid']}", json={"name": f"Set {r} again", "public": False}, headers=admin))
        if org_id == 1:
            for learner in learners:
                ok(client.post(f"/api/v1/trail/add_activity/{acts[0]['activity_uuid']}", headers=learner))
                ok(client.post(f"/api/v1/trail/add_activity/{acts[2]['activity_uuid']}", headers=learner))
            ok(client.delete(f"/api/v1/trail/remove_activity/{acts[2]['activity_uuid']}", headers=learners[0]))
            ok(client.delete(f"/api/v1/trail/remove_course/{first['course_uuid']}", headers=learners[1]))
            ok(client.post(f"/api/v1/trail/add_course/{first['course_uuid']}", headers=learners[1]))
        ok(client.delete(f"/api/v1/activities/{acts[4]['activity_uuid']}", headers=admin))
        ok(client.delete(f"/api/v1/chapters/{chapters[1]['id']}", headers=admin))
        ok(client.delete(f"/api/v1/courses/{made[2]['course_uuid']}", headers=admin))
        ok(client.put(f"/api/v1/orgs/1/webhooks/{hook['webhook_uuid']}", json={"description": f"round {r}"}, headers=admin))
        ok(client.put(f"/api/v1/roles/{role['id']}", json={"name": f"Reviewer {r}"}, headers=admin))
        ok(client.put(f"/api/v1/orgs/1/api-tokens/{token['token_uuid']}", json={"description": f"round {r}"}, headers=admin))
    ok(client.put("/api/v1/orgs/1/signup_mechanism?signup_mechanism=inviteOnly", headers=admin))
    invite = ok(client.post("/api/v1/orgs/1/invites", headers=admin))
    ok(client.post(f"/api/v1/users/1/invite/{invite['invite_code']}", json={
        "username": "invited", "email": "invited@example.com", "password": "password-123",
    }))
    ok(client.put("/api/v1/orgs/1/signup_mechanism?signup_mechanism=open", headers=admin))
    ok(client.delete(f"/api/v1/orgs/1/api-tokens/{token['token_uuid']}", headers=admin))
    ok(client.delete(f"/api/v1/orgs/{doomed_org['id']}", headers=admin))
    return {"admin": admin, "courses": courses, "learners": learners}

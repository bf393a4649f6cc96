"""Every route that writes stamps its events with the caller and the request: a walk through
the product's write routes (a signed-in admin and learner, an API token, an anonymous signup)
where each request's events must carry that request's id and its caller, and no event of the
walk is left without an actor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.integration.test_event_actors import entries_since, user_uuid

Step = Callable[[dict[str, str]], Any]


class Walk:
    """Runs requests, each with its own X-Request-ID, and remembers who made which."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.expected: dict[str, tuple[str, str]] = {}  # request id -> (step, actor)

    def __call__(self, name: str, actor: str, headers: dict[str, str], send: Step) -> Any:
        request_id = f"walk-{len(self.expected) + 1}"
        self.client.cookies.clear()  # only the credential under test is sent
        response = send({**headers, "X-Request-ID": request_id})
        assert 200 <= response.status_code < 300, (name, response.status_code, response.text)
        assert response.headers["x-request-id"] == request_id
        self.expected[request_id] = (name, actor)
        return response.json() if response.content else None


def test_every_write_route_stamps_its_events_with_caller_and_request(api, client, container):
    admin = api.admin()
    admin_actor = f"user:{user_uuid(api, admin)}"
    learner = api.member(1, "learner@example.com")
    learner_actor = f"user:{user_uuid(api, learner)}"
    before = container.events.last_position()
    walk = Walk(client)
    files = {"name": (None, "Walked"), "description": (None, "d"), "about": (None, "a")}

    course = walk("create a course", admin_actor, admin,
                  lambda h: client.post("/api/v1/courses/?org_id=1", files=files, headers=h))
    walk("update a course", admin_actor, admin,
         lambda h: client.put(f"/api/v1/courses/{course['course_uuid']}", json={"name": "Walked on"}, headers=h))
    chapter = walk("create a chapter", admin_actor, admin, lambda h: client.post(
        "/api/v1/chapters/", json={"name": "One", "org_id": course["org_id"], "course_id": course["id"]}, headers=h))
    activity = walk("create an activity", admin_actor, admin, lambda h: client.post(
        "/api/v1/activities/", json={"name": "Lesson", "chapter_id": chapter["id"], "content": {"type": "doc"}},
        headers=h))
    walk("create a collection", admin_actor, admin, lambda h: client.post(
        "/api/v1/collections/", json={"name": "Picks", "description": "", "public": True, "courses": [], "org_id": 1},
        headers=h))
    walk("create a role", admin_actor, admin, lambda h: client.post(
        "/api/v1/roles/org/1", json={"name": "Reviewer", "description": "Reads", "rights": {}}, headers=h))
    token = walk("issue an API token", admin_actor, admin, lambda h: client.post(
        "/api/v1/orgs/1/api-tokens", json={"name": "ci", "rights": {"courses": {"action_create": True}}}, headers=h))
    walk("create an org", admin_actor, admin, lambda h: client.post(
        "/api/v1/orgs/", json={"name": "Acme", "slug": "acme", "email": "acme@example.com"}, headers=h))
    walk("enroll", learner_actor, learner,
         lambda h: client.post(f"/api/v1/trail/add_course/{course['course_uuid']}", headers=h))
    walk("complete an activity", learner_actor, learner,
         lambda h: client.post(f"/api/v1/trail/add_activity/{activity['activity_uuid']}", headers=h))
    profile = client.get("/api/v1/users/profile", headers=learner).json()
    walk("update one's profile", learner_actor, learner,
         lambda h: client.put(f"/api/v1/users/{profile['id']}", json={"last_name": "Walker"}, headers=h))
    walk("change a member's role", admin_actor, admin,
         lambda h: client.put(f"/api/v1/orgs/1/users/{profile['id']}/role/role_global_maintainer", headers=h))
    bearer = {"Authorization": f"Bearer {token['token']}"}
    walk("an API token creates a course", f"token:{token['token_uuid'].removeprefix('apitoken_')}", bearer,
         lambda h: client.post("/api/v1/courses/?org_id=1", files=files, headers=h))
    walk("sign up", "anonymous", {}, lambda h: client.post(
        "/api/v1/users/1", json={"username": "newbie", "email": "newbie@example.com", "password": "password-123"},
        headers=h))
    walk("delete a course", admin_actor, admin,
         lambda h: client.delete(f"/api/v1/courses/{course['course_uuid']}", headers=h))

    appended = entries_since(container, before)
    caused: dict[str, list[tuple[str, str | None]]] = {}
    for event, meta in appended:
        assert meta.get("actor"), f"{event} has no actor: {meta}"
        caused.setdefault(meta.get("request_id") or "", []).append((event, meta["actor"]))
    for request_id, (name, actor) in walk.expected.items():
        events = caused.get(request_id)
        assert events, f"{name}: no event carries request id {request_id}"
        assert {a for _, a in events} == {actor}, (name, events)
    strays = [e for rid, events in caused.items() if rid not in walk.expected for e in events]
    assert all(actor.startswith("system:") for _, actor in strays), strays


"""Every route x every kind of credential → the expected status.

Credentials: none, a user JWT (org admin), a token with the route's right, a token with every
right but that one, a revoked token, an expired token, and another org's token. Routes that
need a real user session (users, orgs, roles, token management) refuse every ``lh_`` token.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

CRUD = ("action_create", "action_read", "action_update", "action_delete")
RESOURCES = ("courses", "coursechapters", "activities", "collections", "trails")
CREDENTIALS = ("none", "jwt", "right", "without", "revoked", "expired", "other_org")


def rights(without: tuple[str, str] | None = None) -> dict[str, dict[str, bool]]:
    out = {r: {a: True for a in CRUD} for r in RESOURCES}
    out["search"] = {"action_read": True}
    if without is not None:
        out[without[0]][without[1]] = False
    return out


def course_form(name: str = "Matrix course") -> dict[str, Any]:
    return {
        "name": (None, name), "description": (None, "d"), "about": (None, "a"),
        "public": (None, "true"),
    }


class Setup:
    def __init__(self, api: Any, client: Any) -> None:
        self.api, self.client = api, client
        self.uuids: dict[str, str] = {}
        self.admin = api.admin()
        self._n = 0
        acme = api.create_org(self.admin, "acme")
        self.tokens: dict[str, str] = {
            "right": self.issue(rights()),
            "revoked": self.issue(rights()),
            "other_org": self.issue(rights(), org_id=acme["id"]),
        }
        self.without: dict[tuple[str, str], str] = {}
        # Far enough ahead that issuing it is never refused as already past on a loaded machine.
        self.expires = datetime.now(UTC) + timedelta(seconds=3)
        self.tokens["expired"] = self.issue(rights(), expires_at=self.expires.isoformat())
        revoked_uuid = self.uuids[self.tokens["revoked"]]
        assert client.delete(f"/api/v1/orgs/1/api-tokens/{revoked_uuid}", headers=self.admin).status_code == 200

    def issue(self, token_rights: Any, org_id: int = 1, expires_at: str | None = None) -> str:
        self._n += 1
        response = self.client.post(
            f"/api/v1/orgs/{org_id}/api-tokens",
            json={"name": f"t{self._n}", "rights": token_rights, "expires_at": expires_at},
            headers=self.admin,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        self.uuids[body["token"]] = body["token_uuid"]
        return str(body["token"])

    def headers(self, credential: str, right: tuple[str, str] | None) -> dict[str, str]:
        if credential == "none":
            return {}
        if credential == "jwt":
            return self.admin
        if credential == "without":
            assert right is not None
            if right not in self.without:
                self.without[right] = self.issue(rights(without=right))
            token = self.without[right]
        else:
            token = self.tokens[credential]
        return {"Authorization": f"Bearer {token}"}

    def course(self) -> dict[str, Any]:
        return self.api.create_course(self.admin, name="Target")


Call = Callable[[Setup, dict[str, str]], Any]
RESOURCE_ROUTE = {"jwt": 200, "right": 200, "without": 403, "revoked": 401, "expired": 401, "other_org": 403}
USER_ONLY = {"right": 403, "without": 403, "revoked": 403, "expired": 403, "other_org": 403}


def routes() -> list[tuple[str, tuple[str, str] | None, Call, dict[str, int]]]:
    def list_courses(s: Setup, h: dict[str, str]) -> Any:
        return s.client.get("/api/v1/courses/org_slug/default/page/1/limit/10", headers=h)

    def count_courses(s: Setup, h: dict[str, str]) -> Any:
        return s.client.get("/api/v1/courses/org_slug/default/count", headers=h)

    def get_course(s: Setup, h: dict[str, str]) -> Any:
        return s.client.get(f"/api/v1/courses/{s.course()['course_uuid']}", headers=h)

    def create_course(s: Setup, h: dict[str, str]) -> Any:
        return s.client.post("/api/v1/courses/?org_id=1", files=course_form(), headers=h)

    def update_course(s: Setup, h: dict[str, str]) -> Any:
        return s.client.put(f"/api/v1/courses/{s.course()['course_uuid']}", json={"name": "New"}, headers=h)

    def delete_course(s: Setup, h: dict[str, str]) -> Any:
        return s.client.delete(f"/api/v1/courses/{s.course()['course_uuid']}", headers=h)

    def profile(s: Setup, h: dict[str, str]) -> Any:
        return s.client.get("/api/v1/users/profile", headers=h)

    def read_org(s: Setup, h: dict[str, str]) -> Any:
        return s.client.get("/api/v1/orgs/1", headers=h)

    def org_members(s: Setup, h: dict[str, str]) -> Any:
        return s.client.get("/api/v1/orgs/1/users", headers=h)

    def roles(s: Setup, h: dict[str, str]) -> Any:
        return s.client.get("/api/v1/roles/org/1", headers=h)

    def list_tokens(s: Setup, h: dict[str, str]) -> Any:
        return s.client.get("/api/v1/orgs/1/api-tokens", headers=h)

    def create_token(s: Setup, h: dict[str, str]) -> Any:
        return s.client.post("/api/v1/orgs/1/api-tokens", json={"name": f"x{time.time_ns()}"}, headers=h)

    def create_chapter(s: Setup, h: dict[str, str]) -> Any:
        body = {"name": "Getting started", "org_id": 1, "course_id": s.course()["id"]}
        return s.client.post("/api/v1/chapters/", json=body, headers=h)

    def search_courses(s: Setup, h: dict[str, str]) -> Any:
        return s.client.get("/api/v1/courses/org_slug/default/search?query=target&page=1&limit=10", headers=h)

    def search_everything(s: Setup, h: dict[str, str]) -> Any:
        return s.client.get("/api/v1/search/org_slug/default?query=target", headers=h)

    def create_collection(s: Setup, h: dict[str, str]) -> Any:
        body = {"name": "Picks", "description": "", "public": True, "courses": [], "org_id": 1}
        return s.client.post("/api/v1/collections/", json=body, headers=h)

    public_read = {"none": 200, **RESOURCE_ROUTE}
    write = {"none": 401, **RESOURCE_ROUTE}
    return [
        ("list courses", ("courses", "action_read"), list_courses, public_read),
        ("count courses", ("courses", "action_read"), count_courses, public_read),
        ("get course", ("courses", "action_read"), get_course, public_read),
        ("create course", ("courses", "action_create"), create_course, write),
        ("update course", ("courses", "action_update"), update_course, write),
        ("delete course", ("courses", "action_delete"), delete_course, write),
        # The chapter's course is looked up in the token's own org, where it does not exist.
        ("create chapter", ("coursechapters", "action_create"), create_chapter, {**write, "other_org": 404}),
        ("search courses", ("search", "action_read"), search_courses, public_read),
        ("search everything", ("search", "action_read"), search_everything, public_read),
        ("create collection", ("collections", "action_create"), create_collection, write),
        ("user profile", None, profile, {"none": 200, "jwt": 200, **USER_ONLY}),
        ("read org", None, read_org, {"jwt": 200, **USER_ONLY}),
        ("org members", None, org_members, {"none": 401, "jwt": 200, **USER_ONLY}),
        ("org roles", None, roles, {"jwt": 200, **USER_ONLY}),
        ("list api tokens", None, list_tokens, {"none": 401, "jwt": 200, **USER_ONLY}),
        ("create api token", None, create_token, {"none": 401, "jwt": 200, **USER_ONLY}),
    ]


def test_token_matrix(api, client):
    setup = Setup(api, client)
    time.sleep(max(0.0, (setup.expires - datetime.now(UTC)).total_seconds()) + 0.1)  # it expires
    mismatches = []
    cells = 0
    table = routes()
    for name, right, call, expected in table:
        for credential in CREDENTIALS:
            if credential not in expected:
                continue
            client.cookies.clear()  # only the credential under test is sent
            response = call(setup, setup.headers(credential, right or ("courses", "action_read")))
            cells += 1
            want = expected[credential]
            if response.status_code != want:
                mismatches.append(f"{name} x {credential}: {response.status_code} (want {want}) {response.text[:120]}")
    assert not mismatches, "\n".join(mismatches)
    assert cells == sum(len(set(expected) & set(CREDENTIALS)) for _, _, _, expected in table)

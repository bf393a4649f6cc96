"""Helpers for the generation tests: submit as a LearningStudio client would, wait for a job."""

from __future__ import annotations

import time
from typing import Any

SEED_EXAMPLE = {
    "subject": "Workplace safety basics",
    "format": "classic",
    "outline": ["Hazards", "PPE", "Emergency procedures"],
    "addOns": ["assessment"],
}
COURSE_FIELDS = {"id", "name", "headline", "format", "languageId", "shareUrl", "createdAt", "course_uuid"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def issue_token(client: Any, admin: dict[str, str], org_id: int | str = 1, **body: Any) -> str:
    response = client.post(f"/api/v1/orgs/{org_id}/api-tokens", json={"name": "ls", **body}, headers=admin)
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def submit(client: Any, headers: dict[str, str], body: dict[str, Any] | None = None, **extra: Any) -> Any:
    return client.post("/api/v1/courses", json=SEED_EXAMPLE if body is None else body, headers=headers, **extra)


def wait_for_job(client: Any, poll_url: str, headers: dict[str, str], timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(poll_url, headers=headers)
        assert response.status_code == 200, response.text
        job = dict(response.json())
        if job["status"] in ("completed", "failed"):
            return job
        assert time.monotonic() < deadline, f"job still {job['status']} at {job['progress']}%"
        time.sleep(0.05)


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = dict(response.json())
    assert body["code"] == code, body
    assert body["message"] == body["detail"] and body["message"], body
    return body

"""Helpers for the content tests: chapters and activities, as the seed's curl recipes do."""

from __future__ import annotations

from typing import Any


def create_chapter(client: Any, headers: dict[str, str], course: dict[str, Any], name: str = "Getting started") -> dict[str, Any]:
    response = client.post(
        "/api/v1/chapters/",
        json={"name": name, "org_id": course["org_id"], "course_id": course["id"]},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def create_activity(
    client: Any, headers: dict[str, str], chapter: dict[str, Any], name: str = "Hello", **fields: Any
) -> dict[str, Any]:
    body = {"name": name, "chapter_id": chapter["id"], "content": {"type": "doc"}, **fields}
    response = client.post("/api/v1/activities/", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def course_tree(client: Any, api: Any, headers: dict[str, str], activities: int = 2, **course: Any) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    c = api.create_course(headers, **course)
    ch = create_chapter(client, headers, c)
    acts = [create_activity(client, headers, ch, name=f"Lesson {i}") for i in range(activities)]
    return c, ch, acts

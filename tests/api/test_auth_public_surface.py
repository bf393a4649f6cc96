"""What every client finds first: health, the OpenAPI document, the docs, and error bodies."""

from __future__ import annotations


def test_health_is_exactly_the_seed_body(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": None}


def test_openapi_and_docs_are_served(client):
    spec = client.get("/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    for path in ("/api/v1/auth/login", "/api/auth/register", "/api/v1/orgs",
                 "/api/v1/courses/org_slug/{slug}/page/{page}/limit/{limit}", "/api/health"):
        assert path in paths or path + "/" in paths, path
    for page in ("/docs", "/redoc"):
        html = client.get(page)
        assert html.status_code == 200 and "text/html" in html.headers["content-type"]


def test_every_error_body_is_detail_and_code(client, api):
    admin = api.admin()
    client.cookies.clear()
    responses = [
        client.get("/api/v1/orgs/4242"),                                  # 404
        client.get("/api/v1/nothing-here"),                               # 404 (no route)
        client.put("/api/health"),                                        # 405
        client.get("/api/auth/me"),                                       # 401
        client.post("/api/v1/orgs/", json={"name": "x", "slug": "default"}, headers=admin),  # 409
        client.post("/api/auth/register", json={"email": "a@example.com", "password": "x"}),  # 400
        client.post("/api/auth/register", content=b"{not json", headers={"content-type": "application/json"}),
        client.get("/api/v1/orgs/1/users?limit=abc", headers=admin),      # 422
        client.get("/api/v1/users/profile", headers={"Authorization": "Bearer lh_x"}),  # 403
    ]
    for response in responses:
        assert 400 <= response.status_code < 500, response.text
        body = response.json()
        assert isinstance(body["detail"], str) and isinstance(body["code"], str), body
        if response.status_code == 422:
            assert body["field"], body
            assert body["field"] in body["detail"]
        if response.status_code == 401:
            assert response.headers["www-authenticate"] == "Bearer"

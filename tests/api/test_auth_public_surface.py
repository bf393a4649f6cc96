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
    issued = client.post(
        "/api/v1/orgs/1/api-tokens",
        json={"name": "Probe", "description": "", "expires_at": None},
        headers=admin,
    )
    assert issued.status_code == 200, issued.text
    token = {"Authorization": f"Bearer {issued.json()['token']}"}
    client.cookies.clear()
    # (response, status, detail, code): each kind of failure a client can meet, answered exactly.
    cases = [
        (client.get("/api/v1/orgs/4242"), 404, "Organization not found", "NOT_FOUND"),
        (client.get("/api/v1/nothing-here"), 404, "Not Found", "NOT_FOUND"),
        (client.put("/api/health"), 405, "Method Not Allowed", "METHOD_NOT_ALLOWED"),
        (client.get("/api/auth/me"), 401, "Not authenticated", "UNAUTHENTICATED"),
        (
            client.post("/api/v1/orgs/", json={"name": "x", "slug": "default"}, headers=admin),
            409, "Organization already exists", "ORG_EXISTS",
        ),
        (
            client.post("/api/auth/register", json={"email": "a@example.com", "password": "x"}),
            400, "Password must be between 8 and 128 characters", "INVALID_PASSWORD",
        ),
        (
            client.get("/api/v1/orgs/1/users?limit=abc", headers=admin),
            422, "limit: Expected `int`, got `str`", "VALIDATION_ERROR",
        ),
        # A valid token of this very org is still refused on a session-only route.
        (
            client.get("/api/v1/users/profile", headers=token),
            403, "API tokens are not allowed on this route", "TOKEN_NOT_ALLOWED",
        ),
    ]
    for response, status, detail, code in cases:
        assert response.status_code == status, response.text
        body = response.json()
        assert (body["detail"], body["code"]) == (detail, code), body
        if status == 422:
            assert body["field"] == "limit", body
        if status == 401:
            assert response.headers["www-authenticate"] == "Bearer"
        else:
            assert "www-authenticate" not in response.headers

    # The decoder's wording is not ours to pin; where it failed and how it is reported is.
    malformed = client.post(
        "/api/auth/register", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 422, malformed.text
    body = malformed.json()
    assert body["code"] == "VALIDATION_ERROR" and body["field"] == "body", body
    # An OpenLearning route: FastAPI's list of problems (seed 002), not one sentence.
    [problem] = body["detail"]
    assert problem["loc"] == ["body"] and problem["msg"].startswith("JSON is malformed"), body

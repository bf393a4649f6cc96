"""Without a GitHub OAuth app configured, the GitHub sign-in routes answer the seed's 501."""

from __future__ import annotations


def test_without_a_github_app_the_routes_answer_501(client):
    response = client.get("/api/auth/github", params={"redirect": "/"}, follow_redirects=False)
    assert response.status_code == 501
    assert response.json()["detail"] == "GitHub OAuth is not configured"
    callback = client.get("/api/auth/github/callback", params={"code": "c", "state": "s"})
    assert callback.status_code == 501

"""Collections: seed shapes, paging, visibility across orgs and to non-members."""

from __future__ import annotations

FIELDS = {"id", "name", "public", "description", "courses", "collection_uuid", "creation_date", "update_date"}


def test_collection_lifecycle_with_course_uuids_and_numeric_ids(api, client):
    admin = api.admin()
    python = api.create_course(admin, name="Python")
    rust = api.create_course(admin, name="Rust")
    response = client.post(
        "/api/v1/collections/",
        json={"name": "Languages", "description": "d", "public": True,
              "courses": [python["course_uuid"], rust["id"]], "org_id": 1},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    created = response.json()
    assert set(created) >= FIELDS and created["collection_uuid"].startswith("collection_")
    assert [c["name"] for c in created["courses"]] == ["Python", "Rust"]
    uuid = created["collection_uuid"]
    assert client.get(f"/api/v1/collections/{uuid}", headers=admin).json()["name"] == "Languages"
    changed = client.put(f"/api/v1/collections/{uuid}", json={"name": "Langs", "courses": [rust["course_uuid"]]}, headers=admin)
    assert changed.status_code == 200 and [c["name"] for c in changed.json()["courses"]] == ["Rust"]
    listed = client.get("/api/v1/collections/org/1/page/1/limit/10", headers=admin).json()
    assert [c["collection_uuid"] for c in listed] == [uuid]
    assert client.get("/api/v1/collections/org_id/1/page/1/limit/10", headers=admin).json() == listed
    assert client.delete(f"/api/v1/collections/{uuid}", headers=admin).json() == {"detail": "Collection deleted"}
    assert client.get(f"/api/v1/collections/{uuid}", headers=admin).status_code == 404
    bad = client.post("/api/v1/collections/", json={"name": "x", "public": True, "courses": [424242], "org_id": 1}, headers=admin)
    assert bad.status_code == 422 and bad.json()["field"] == "courses"


def test_private_collections_and_private_courses_stay_inside_the_org(api, client):
    admin = api.admin()
    public_course = api.create_course(admin, name="Open")
    private_course = api.create_course(admin, name="Secret", public=False)
    public = client.post("/api/v1/collections/", json={
        "name": "Public", "public": True, "org_id": 1,
        "courses": [public_course["course_uuid"], private_course["course_uuid"]],
    }, headers=admin).json()
    private = client.post("/api/v1/collections/", json={"name": "Private", "public": False, "org_id": 1, "courses": []}, headers=admin).json()

    other_org = api.create_org(admin, "other")
    outsider = api.member(other_org["id"], "outsider@example.com")
    member = api.member(1, "member@example.com")
    client.cookies.clear()
    for headers in ({}, outsider):
        assert client.get(f"/api/v1/collections/{private['collection_uuid']}", headers=headers).status_code == 404
        listed = client.get("/api/v1/collections/org/1/page/1/limit/10", headers=headers).json()
        assert [c["name"] for c in listed] == ["Public"]
        seen = client.get(f"/api/v1/collections/{public['collection_uuid']}", headers=headers).json()
        assert [c["name"] for c in seen["courses"]] == ["Open"]
    listed = client.get("/api/v1/collections/org/1/page/1/limit/10", headers=member).json()
    assert [c["name"] for c in listed] == ["Private", "Public"]
    assert client.post("/api/v1/collections/", json={"name": "no", "public": True, "org_id": 1}, headers=member).status_code == 403
    assert client.delete(f"/api/v1/collections/{public['collection_uuid']}", headers=member).status_code == 403

"""The audit export, as an auditor uses it: who may pull it, what a record holds, filters,
tenancy, and a hash chain that overlapping pulls agree on."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from application.export_verify import read_rows, verify

AUDIT = "/api/v1/orgs/{org}/audit/events"


def pull(client: Any, headers: dict[str, str], org: int | str = 1, **params: Any) -> list[dict[str, Any]]:
    response = client.get(AUDIT.format(org=org), params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


def write(tmp_path: Any, name: str, records: list[dict[str, Any]]) -> Any:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def story(api: Any) -> dict[str, Any]:
    """An admin creates and edits a course, issues a token, a learner enrolls."""
    admin = api.admin()
    course = api.create_course(admin, name="Audited")
    changed = api.client.put(f"/api/v1/courses/{course['course_uuid']}", json={"name": "Renamed"}, headers=admin)
    assert changed.status_code == 200, changed.text
    issued = api.client.post(
        "/api/v1/orgs/1/api-tokens", json={"name": "auditor", "rights": {"audit": {"action_read": True}}},
        headers=admin,
    )
    assert issued.status_code == 200, issued.text
    learner = api.member(1, "learner@example.com")
    enrolled = api.client.post(f"/api/v1/trail/add_course/{course['course_uuid']}", headers=learner)
    assert enrolled.status_code == 200, enrolled.text
    return {"admin": admin, "course": course, "token": issued.json(), "learner": learner}


def test_an_admin_pulls_the_orgs_history_with_a_verifiable_chain(api, client, tmp_path):
    s = story(api)
    records = pull(client, s["admin"])
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
    assert [r["position"] for r in records] == sorted(r["position"] for r in records)
    names = [r["event"] for r in records]
    assert names[0] == "org_created"
    assert {"course_created", "course_updated", "api_token_issued", "user_joined_org", "course_enrolled"} <= set(names)
    created = next(r for r in records if r["event"] == "course_created")
    assert created["aggregate_type"] == "course"
    assert created["aggregate_uuid"] == s["course"]["course_uuid"].removeprefix("course_")
    assert created["version"] == 1 and created["data"]["name"] == "Audited"
    assert created["actor"].startswith("user:") and created["request_id"]
    assert set(created) == {
        "org", "seq", "position", "time", "event", "aggregate_type", "aggregate_uuid", "version",
        "actor", "request_id", "data", "prev", "hash",
    }
    verdict = verify(read_rows(write(tmp_path, "full.ndjson", records)))
    assert verdict.ok, verdict.problem
    assert verdict.records == len(records)


def test_secrets_and_password_hashes_never_appear(api, client):
    s = story(api)
    body = client.get(AUDIT.format(org=1), headers=s["admin"]).text
    issued = next(json.loads(x) for x in body.splitlines() if '"api_token_issued"' in x)
    assert "secret_hash" not in issued["data"] and issued["data"]["token_prefix"]
    assert s["token"]["token"] not in body
    assert "password_hash" not in body and "$argon2" not in body


def test_csv_by_query_or_accept_header_verifies_too(api, client, tmp_path):
    s = story(api)
    by_query = client.get(AUDIT.format(org=1), params={"format": "csv"}, headers=s["admin"])
    by_accept = client.get(AUDIT.format(org=1), headers={**s["admin"], "Accept": "text/csv"})
    for response in (by_query, by_accept):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(by_query.text)))
    assert rows[0]["event"] == "org_created" and json.loads(rows[0]["data"])["slug"] == "default"
    path = tmp_path / "audit.csv"
    path.write_text(by_query.text)
    verdict = verify(read_rows(path))
    assert verdict.ok, verdict.problem
    assert verdict.records == len(rows)


def test_filters_and_overlapping_pulls_share_their_hashes(api, client):
    s = story(api)
    full = pull(client, s["admin"])
    by_hash = {r["position"]: r["hash"] for r in full}
    middle = full[len(full) // 2]["position"]
    later = pull(client, s["admin"], after=middle)
    assert [r["position"] for r in later] == [r["position"] for r in full if r["position"] > middle]
    assert later[0]["prev"] == next(r["hash"] for r in full if r["position"] == middle)
    only = pull(client, s["admin"], types="course_created,course_updated")
    assert {r["event"] for r in only} == {"course_created", "course_updated"}
    course_id = s["course"]["course_uuid"]
    of_course = pull(client, s["admin"], aggregate=course_id)
    assert {r["aggregate_uuid"] for r in of_course} == {course_id.removeprefix("course_")}
    by_webhook_name = pull(client, s["admin"], types="course_completed,course_enrolled")
    assert {r["event"] for r in by_webhook_name} == {"course_enrolled"}
    actor = next(r["actor"] for r in full if r["event"] == "course_created")
    mine = pull(client, s["admin"], actor=actor)
    assert mine and {r["actor"] for r in mine} == {actor}
    moment = next(r["time"] for r in full if r["event"] == "course_updated")
    window = pull(client, s["admin"], since=moment)
    assert window and all(r["time"] >= moment for r in window)
    assert not pull(client, s["admin"], until=full[0]["time"])
    for subset in (later, only, of_course, by_webhook_name, mine, window):
        assert all(by_hash[r["position"]] == r["hash"] for r in subset)


def test_who_may_pull(api, client):
    s = story(api)
    url = AUDIT.format(org=1)
    client.cookies.clear()  # only the credential under test is sent
    assert client.get(url).status_code == 401
    assert client.get(url, headers=s["learner"]).status_code == 403
    audit_token = {"Authorization": f"Bearer {s['token']['token']}"}
    assert client.get(url, headers=audit_token).status_code == 200
    plain = client.post(
        "/api/v1/orgs/1/api-tokens", json={"name": "no-audit", "rights": {"courses": {"action_read": True}}},
        headers=s["admin"],
    ).json()
    refused = client.get(url, headers={"Authorization": f"Bearer {plain['token']}"})
    assert refused.status_code == 403 and refused.json()["code"] == "TOKEN_RIGHT_MISSING"
    # A token issued without a rights object, even by an admin, reads no audit log.
    default = client.post("/api/v1/orgs/1/api-tokens", json={"name": "default"}, headers=s["admin"]).json()
    assert default["rights"]["audit"]["action_read"] is False and default["rights"]["courses"]["action_read"]
    refused = client.get(url, headers={"Authorization": f"Bearer {default['token']}"})
    assert refused.status_code == 403 and refused.json()["code"] == "TOKEN_RIGHT_MISSING"
    assert client.get(url, params={"types": "no_such_event"}, headers=s["admin"]).status_code == 422
    assert client.get(url, params={"since": "yesterday"}, headers=s["admin"]).status_code == 422
    assert client.get(url, params={"format": "xml"}, headers=s["admin"]).status_code == 422


def test_a_token_cannot_hold_audit_beyond_its_creator(api, client):
    s = story(api)
    api.set_role(s["admin"], 1, api.client.get("/api/v1/users/profile", headers=s["learner"]).json()["id"],
                 "role_global_maintainer")
    maintainer = api.login("learner@example.com", "password-123")
    response = client.post(
        "/api/v1/orgs/1/api-tokens", json={"name": "sneaky", "rights": {"audit": {"action_read": True}}},
        headers=maintainer,
    )
    assert response.status_code in (400, 403), response.text


def test_another_orgs_events_never_appear(api, client):
    s = story(api)
    other = api.create_org(s["admin"], "acme")
    theirs = api.create_course(s["admin"], org_id=other["id"], name="Acme only")
    ours = pull(client, s["admin"])
    assert {r["org"] for r in ours} == {ours[0]["org"]}
    assert not any(r["data"].get("name") == "Acme only" for r in ours)
    assert not pull(client, s["admin"], aggregate=theirs["course_uuid"])
    acme = pull(client, s["admin"], org=other["id"])
    assert acme[0]["event"] == "org_created" and acme[0]["seq"] == 1
    assert any(r["data"].get("name") == "Acme only" for r in acme)
    audit_token = {"Authorization": f"Bearer {s['token']['token']}"}
    assert client.get(AUDIT.format(org=other["id"]), headers=audit_token).status_code == 403


def test_no_filter_lets_another_orgs_events_in(api, client):
    """Filters aimed squarely at another org's events (its course, its first positions, its
    event types, the admin who acts in both, a window around them) still return ours only."""
    s = story(api)
    other = api.create_org(s["admin"], "acme")
    theirs = api.create_course(s["admin"], org_id=other["id"], name="Acme only")
    client.put(f"/api/v1/courses/{theirs['course_uuid']}", json={"name": "Acme renamed"}, headers=s["admin"])
    acme = pull(client, s["admin"], org=other["id"])
    acme_positions = {r["position"] for r in acme}
    ours = pull(client, s["admin"])
    our_org = ours[0]["org"]
    actor = next(r["actor"] for r in acme if r["event"] == "course_created")
    attempts: list[dict[str, Any]] = [
        {"aggregate": theirs["course_uuid"]},
        {"aggregate": acme[0]["aggregate_uuid"]},
        {"after": min(acme_positions) - 1},
        {"types": "org_created,course_created,course_updated"},
        {"actor": actor},
        {"since": acme[0]["time"], "until": "2999-01-01"},
        {"actor": actor, "types": "course_updated", "after": min(acme_positions) - 1},
    ]
    for params in attempts:
        for headers in (s["admin"], {"Authorization": f"Bearer {s['token']['token']}"}):
            client.cookies.clear()
            got = pull(client, headers, **params)
            assert all(r["org"] == our_org for r in got), params
            assert not acme_positions & {r["position"] for r in got}, params
            assert "Acme" not in json.dumps(got), params

"""An erasure leaves the org's audit chain as it was: every record pulled before it is pulled
again with the same hash, the chain still verifies, and no personal value is in any record."""

from __future__ import annotations

import json

from application.export_verify import read_rows, verify
from tests.api.test_audit_export import pull, write
from tests.api.test_user_erasure import ada, erase, login

PERSONAL = ("ada@example.com", "Augusta", "Lovelace", "Writes notes on engines", "ada.example")


def test_the_audit_chain_is_unchanged_by_an_erasure_and_holds_no_personal_value(api, client, tmp_path):
    admin = login(client, "admin@example.com", "admin-password-1")
    user, headers = ada(client, api)
    course = api.create_course(headers, 1, name="Engines")
    client.cookies.clear()
    assert client.post(f"/api/v1/trail/add_course/{course['course_uuid']}", headers=headers).status_code == 200
    before = pull(client, admin)

    assert erase(client, user["id"], admin).status_code == 200

    after = pull(client, admin)
    assert after[: len(before)] == before and len(after) > len(before)
    for name, records in (("before.ndjson", before), ("after.ndjson", after)):
        verdict = verify(read_rows(write(tmp_path, name, records)))
        assert verdict.ok, verdict
    text = json.dumps(after)
    assert not [value for value in PERSONAL if value in text]

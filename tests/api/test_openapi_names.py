"""Operation ids and tags become a generated client's modules and function names
(``openapi-python-client``: ``api/<tag>/<operation_id>.py``): each operation has a unique
snake_case id made of words, a tag, and a summary for the docs."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def operations(client: Any) -> list[tuple[str, str, dict[str, Any]]]:
    spec = client.get("/openapi.json").json()
    return [
        (method, path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def test_every_operation_reads_well_as_a_generated_method(client: Any) -> None:
    ops = operations(client)
    assert len(ops) > 100
    bad = []
    for method, path, op in ops:
        oid = op.get("operationId", "")
        # Words, not Litestar's generated path names (ApiV1CoursesCourseUuidDelete).
        if not re.fullmatch(r"[a-z]+(_[a-z0-9]+)*", oid) or "api_v1" in oid:
            bad.append(f"{method} {path}: operationId {oid!r}")
        if not op.get("tags") or not all(re.fullmatch(r"[a-z]+(-[a-z]+)*", t) for t in op["tags"]):
            bad.append(f"{method} {path}: tags {op.get('tags')!r}")
        if not op.get("summary"):
            bad.append(f"{method} {path}: no summary")
    assert not bad, "\n".join(bad)
    repeated = [oid for oid, n in Counter(op["operationId"] for _, _, op in ops).items() if n > 1]
    assert repeated == []

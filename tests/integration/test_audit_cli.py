"""``learnstream export`` and ``learnstream verify-export`` as an operator runs them: NDJSON,
CSV and Parquet files, tampering found at the right line, and the README's DuckDB funnel."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from api.cli import main
from tests.api.content_helpers import course_tree

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def cli(settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    for key, value in settings_env.items():
        monkeypatch.setenv(key, value)

    def run(*argv: str) -> int:
        return main(list(argv))

    return run


def funnel_story(api: Any, client: Any) -> dict[str, Any]:
    """Three learners enroll; one completes both activities, one completes one."""
    admin = api.admin()
    course, _, acts = course_tree(client, api, admin, activities=2, name="Funnel")
    learners = [api.member(1, f"learner{i}@example.com") for i in range(3)]
    for learner in learners:
        assert client.post(f"/api/v1/trail/add_course/{course['course_uuid']}", headers=learner).status_code == 200
    for act in acts:
        client.post(f"/api/v1/trail/add_activity/{act['activity_uuid']}", headers=learners[0])
    client.post(f"/api/v1/trail/add_activity/{acts[0]['activity_uuid']}", headers=learners[1])
    return course


def verify_file(cli: Any, capsys: Any, path: Path, *extra: str) -> tuple[int, str]:
    code = cli("verify-export", str(path), *extra)
    return code, capsys.readouterr().out


def test_export_then_verify_finds_each_kind_of_tampering(api, client, cli, capsys, tmp_path):
    funnel_story(api, client)
    out = tmp_path / "audit.ndjson"
    assert cli("export", "--org", "default", "--out", str(out)) == 0
    assert verify_file(cli, capsys, out)[0] == 0
    lines = out.read_text().splitlines()
    assert len(lines) > 6

    def tampered(name: str, new_lines: list[str]) -> Path:
        path = tmp_path / name
        path.write_text("\n".join(new_lines) + "\n")
        return path

    altered = json.loads(lines[2])
    altered["data"]["name"] = "forged"
    code, said = verify_file(cli, capsys, tampered("altered.ndjson", [*lines[:2], json.dumps(altered), *lines[3:]]))
    assert code == 1 and "line 3: altered" in said
    code, said = verify_file(cli, capsys, tampered("dropped.ndjson", [*lines[:2], *lines[3:]]))
    assert code == 1 and "line 3: dropped" in said and "#3 is missing" in said
    code, said = verify_file(cli, capsys, tampered("reordered.ndjson", [*lines[:2], lines[3], lines[2], *lines[4:]]))
    assert code == 1 and "line 3: reordered" in said
    # A forger who recomputes the altered record's own hash still breaks the next link.
    from application.audit_records import canonical, chained

    forged = json.loads(lines[2])
    forged["data"] = {"forged": True}
    forged["hash"] = chained(forged["prev"], canonical(forged))
    code, said = verify_file(cli, capsys, tampered("rehashed.ndjson", [*lines[:2], json.dumps(forged), *lines[3:]]))
    assert code == 1 and "line 3: altered" in said
    # An incremental pull continues from the last hash of the previous one.
    last = json.loads(lines[-1])
    later = tmp_path / "later.ndjson"
    assert cli("export", "--org", "1", "--after", str(last["position"]), "--out", str(later)) == 0
    assert verify_file(cli, capsys, later, "--anchor", last["hash"])[0] == 0


def test_filtered_csv_export_verifies_with_gaps_allowed(api, client, cli, capsys, tmp_path):
    funnel_story(api, client)
    out = tmp_path / "enrolled.csv"
    assert cli("export", "--types", "course_enrolled,activity_completed", "--format", "csv", "--out", str(out)) == 0
    rows = out.read_text().splitlines()
    assert rows[0].startswith("org,seq,position,time,event") and len(rows) == 1 + 3 + 3
    assert verify_file(cli, capsys, out, "--allow-gaps")[0] == 0
    code, said = verify_file(cli, capsys, out)
    assert code == 1 and "dropped" in said


def test_parquet_files_per_month_answer_the_readme_funnel_in_duckdb(api, client, cli, capsys, tmp_path):
    duckdb = pytest.importorskip("duckdb")
    course = funnel_story(api, client)
    export = tmp_path / "export"
    assert cli("export", "--format", "parquet", "--out", str(export)) == 0
    files = sorted(p.name for p in export.glob("*.parquet"))
    assert files and all(re.fullmatch(r"events-\d{4}-\d{2}\.parquet", f) for f in files)
    assert verify_file(cli, capsys, export)[0] == 0
    sql = re.search(r"```sql\n(-- course completion funnel.*?)```", README.read_text(), re.S)
    assert sql, "the README's funnel query"
    query = sql.group(1).replace("'export/*.parquet'", f"'{export}/*.parquet'")
    rows = duckdb.sql(query).fetchall()
    funnel = {row[0]: row[1:] for row in rows}
    assert funnel[course["course_uuid"].removeprefix("course_")] == (3, 2, 1, 33.3)
    described = duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{export}/*.parquet')").fetchall()
    types = {row[0]: row[1] for row in described}
    assert types["time"].startswith("TIMESTAMP") and types["seq"] == "BIGINT"


@pytest.fixture
def interrupted_after_one_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """The export stops with an error while under way, after its first page was written out
    (as a full disk or a lost database connection stops it; Ctrl-C takes the same path)."""
    from application.audit_export import AuditExport

    whole = AuditExport.pages

    def one_page_then_interrupt(self: Any, plan: Any, page: int = 1) -> Any:
        yield next(whole(self, plan, page=1))
        raise OSError("the export was cut off")

    monkeypatch.setattr(AuditExport, "pages", one_page_then_interrupt)


@pytest.mark.parametrize("fmt", ["ndjson", "csv"])
def test_an_interrupted_export_leaves_no_file_that_could_pass_for_a_whole_one(
    api, client, cli, tmp_path, fmt, interrupted_after_one_page
):
    funnel_story(api, client)
    exports = tmp_path / "exports"
    exports.mkdir()
    with pytest.raises(OSError, match="cut off"):
        cli("export", "--format", fmt, "--out", str(exports / f"audit.{fmt}"))
    assert list(exports.iterdir()) == []


def test_an_interrupted_parquet_export_leaves_no_month_file(api, client, cli, tmp_path, interrupted_after_one_page):
    funnel_story(api, client)
    export = tmp_path / "export"
    with pytest.raises(OSError, match="cut off"):
        cli("export", "--format", "parquet", "--out", str(export))
    assert list(export.iterdir()) == []


def test_a_parquet_export_into_a_directory_holding_an_earlier_one_is_refused(api, client, cli, capsys, tmp_path):
    funnel_story(api, client)
    export = tmp_path / "export"
    assert cli("export", "--format", "parquet", "--out", str(export)) == 0
    before = {p.name: p.read_bytes() for p in export.iterdir()}
    capsys.readouterr()
    assert cli("export", "--format", "parquet", "--out", str(export)) == 2
    assert "already holds an export" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in export.iterdir()} == before

"""Property-based run of the whole API against a real ``learnstream serve`` process: no request
may get a 500, and no operation may refuse most of the data its own schema calls valid.

Time-boxed, signed in as the admin, with rate limiting off. Nothing may leave loopback: the
model provider is the offline one and the Anthropic URL points at a closed local port (key
validation fails fast), the webhook delivery worker is off, and the operations that resolve or
call a URL the client chose are kept out (see ``EXCLUDED`` and ``HOOKS``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.e2e.server_process import ADMIN_EMAIL, ADMIN_PASSWORD, LearnstreamProcess, login, serve

MAX_SECONDS = 100
pytestmark = [pytest.mark.slow, pytest.mark.timeout(MAX_SECONDS + 300)]
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"

EXCLUDED = {
    # the server resolves the endpoint URL's host name (DNS) and later delivers to it
    "create_webhook": "URL",
    "update_webhook": "URL",
    # GitHub sign-in talks to github.com once configured (here it is not: 501)
    "start_github_sign_in": "outside service",
    "finish_github_sign_in": "outside service",
    # would delete org 1, which the parameters below rely on
    "delete_org": "org 1",
}

# A generation request's callbackUrl is resolved on submit and called when the job ends: the
# property is taken out of the document schemathesis reads, so no phase ever sends one. The
# rest of POST /api/v1/courses (the form, the other generation fields) is still fuzzed.
HOOKS = '''
import schemathesis


@schemathesis.hook
def before_load_schema(context, raw_schema):
    body = raw_schema["paths"]["/api/v1/courses"]["post"]["requestBody"]["content"]
    body["application/json"]["schema"]["properties"].pop("callbackUrl")
'''

# ``warnings = ["missing_auth"]`` keeps only that warning for an operation, so a validation
# mismatch there does not fail the run. Each entry says why the schema cannot (yet) describe
# the refusals.
CONFIG = """
[warnings]
fail-on = ["validation_mismatch"]

# A real org for the routes that name one in the path or query; LearnHouse answers 400 (not
# 404) for an unknown org or invite code and for an email already taken, and generated data
# repeats emails.
[[operations]]
include-operation-id = "signup_into_org"
parameters = { "path.org_id" = "1" }
warnings = ["missing_auth"]

[[operations]]
include-operation-id = "signup_into_org_with_invite"
parameters = { "path.org_id" = "1" }
warnings = ["missing_auth"]

[[operations]]
include-operation-id = "create_course"
parameters = { "query.org_id" = "1" }

# The admin belongs to every org the run creates: the jobs list then needs its org named.
[[operations]]
include-operation-id = "list_generation_jobs"
parameters = { "query.org_id" = "1" }

[[operations]]
include-operation-id = "export_audit_events"
parameters = { "path.org_id" = "1" }

# The courses of a collection must belong to its org (422): a reference no schema can state.
[[operations]]
include-operation-id = "create_collection"
warnings = ["missing_auth"]

# Roles 1-4 are the built-in ones, which cannot be changed or deleted (400 BUILTIN_ROLE).
[[operations]]
include-operation-id = "update_role"
warnings = ["missing_auth"]

[[operations]]
include-operation-id = "delete_role"
warnings = ["missing_auth"]

# An assessment needs skills some role of the knowledge base covers (400 NO_ROLE_FOR_SKILLS).
[[operations]]
include-operation-id = "start_assessment"
warnings = ["missing_auth"]

# Rules the request Structs do not document yet (their services check them): an org's name and
# slug pattern (OrgCreate), an API key of 8+ characters without spaces (ApiKeySetRequest,
# OrgModelKey), the plan names (PlanChange).
[[operations]]
include-operation-id = "create_org"
warnings = ["missing_auth"]

[[operations]]
include-operation-id = "set_model_key"
warnings = ["missing_auth"]

[[operations]]
include-operation-id = "validate_model_key"
warnings = ["missing_auth"]

[[operations]]
include-operation-id = "set_generation_plan"
warnings = ["missing_auth"]

[[operations]]
include-operation-id = "set_generation_model_key"
warnings = ["missing_auth"]
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LearnstreamProcess]:
    env = {
        "LEARNSTREAM_DATA_DIR": str(tmp_path / "data"),
        "LEARNSTREAM_ADMIN_EMAIL": ADMIN_EMAIL,
        "LEARNSTREAM_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "LEARNSTREAM_RATE_LIMIT_ENABLED": "0",
        # the generation API's own limit (30 a minute per key) is a product rule, not the switch
        "LEARNSTREAM_GENERATION_RATE_LIMIT": "1000000/60",
        # the run may move org 1 to any plan (set_generation_plan): none may run out of credits
        "LEARNSTREAM_GENERATION_PLANS": ",".join(
            f"{plan}:1000000" for plan in ("free", "starter", "pro", "enterprise")
        ),
        "LEARNSTREAM_WEBHOOKS_WORKER": "0",
        "LEARNSTREAM_AI_PROVIDER": "offline",
        # nothing listens there once free_port has let go of it
        "LEARNSTREAM_ANTHROPIC_BASE_URL": f"http://127.0.0.1:{free_port()}",
    }
    process = serve(env, tmp_path / "serve.log", free_port())
    yield process
    process.stop()


def test_no_server_errors_and_the_schema_matches_validation(
    server: LearnstreamProcess, tmp_path: Path
) -> None:
    if not SCHEMATHESIS.exists():
        pytest.skip("schemathesis is not installed")
    with httpx.Client(base_url=server.base_url) as client:
        auth = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)["Authorization"]
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    hooks = tmp_path / "learnstream_hooks.py"
    hooks.write_text(HOOKS)
    excluded = [arg for name in EXCLUDED for arg in ("--exclude-operation-id", name)]
    result = subprocess.run(
        [
            str(SCHEMATHESIS), "--config-file", str(config), "run", server.base_url + "/openapi.json",
            "--checks", "not_a_server_error", "-H", f"Authorization: {auth}",
            "--exclude-path-regex", "logout",  # both logout routes end the admin's session
            *excluded,
            "--max-time", str(MAX_SECONDS), "--seed", "1", "--workers", "1",
            "--request-timeout", "30", "--no-color",
        ],
        capture_output=True, text=True, timeout=MAX_SECONDS + 240, check=False,
        cwd=tmp_path,  # schemathesis keeps a .schemathesis/ cache in its working directory
        env={**os.environ, "SCHEMATHESIS_HOOKS": str(hooks)},
    )
    report = result.stdout[-20000:] + result.stderr[-4000:]
    assert result.returncode == 0, report + "\n--- server log ---\n" + server.output()[-8000:]
    # a run that tested nothing would exit 0 too
    counted = re.search(r"(\d+) generated, (\d+) passed", report)
    assert counted is not None and int(counted[1]) == int(counted[2]) > 1000, report
    assert "Selected: " in report and "Schema validation mismatch" not in report, report

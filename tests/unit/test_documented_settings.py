"""Every ``LEARNSTREAM_*`` variable the documentation and compose.yaml name is a real setting
(a renamed or dropped setting must not live on in the docs), and the README's settings table
covers the ones an operator of a public server must decide."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec

from infrastructure.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
#: read by the test suite, not by the server
TEST_ONLY = {"TEST_DATABASE_URL", "TEST_REDIS_URL"}


def documents() -> list[Path]:
    return [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "compose.yaml",
            *sorted((ROOT / "docs").glob("*.md"))]


def settings() -> set[str]:
    return {field.name.upper() for field in msgspec.structs.fields(Settings)}


def test_every_documented_variable_is_a_setting() -> None:
    known = settings()
    unknown = []
    for path in documents():
        for name in set(re.findall(r"LEARNSTREAM_([A-Z0-9_]+)", path.read_text())):
            if name in TEST_ONLY:
                continue
            # LEARNSTREAM_RATE_LIMIT_* names a family
            if name.endswith("_") and any(k.startswith(name) for k in known):
                continue
            if name not in known:
                unknown.append(f"{path.name}: LEARNSTREAM_{name}")
    assert not unknown, unknown


def test_the_readme_table_names_what_a_public_server_must_decide() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in ("DATABASE_URL", "REDIS_URL", "JWT_SECRET", "TRUSTED_PROXIES", "METRICS_TOKEN",
                 "LOG_FORMAT", "AI_PROVIDER", "ANTHROPIC_API_KEY", "KNOWLEDGE_BASE_DIR"):
        assert f"`LEARNSTREAM_{name}" in readme, name

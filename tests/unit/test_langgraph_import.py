"""A process that builds the container and never runs a workflow (``replay``, ``audit`` and
the other CLI commands) does not import LangGraph: its import took about a second of every
such process's start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BUILD_AND_LIST = """
import sys
from infrastructure.settings import Settings
from api.bootstrap import Container

container = Container.build(Settings.from_env({"LEARNSTREAM_DATA_DIR": sys.argv[1]}))
try:
    print(",".join(sorted(name for name in sys.modules if name.split(".")[0] == "langgraph")))
finally:
    container.close()
"""

ROOT = Path(__file__).resolve().parents[2]


def _langgraph_modules(code: str, data_dir: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", code, str(data_dir)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [name for name in done.stdout.strip().split(",") if name]


def test_building_the_container_imports_no_langgraph(tmp_path: Path) -> None:
    assert _langgraph_modules(BUILD_AND_LIST, tmp_path) == []


def test_the_workflows_still_build_their_graphs(tmp_path: Path) -> None:
    code = BUILD_AND_LIST.replace(
        "try:",
        "from application.generation_pipeline import course_generation_graph\n"
        "from application.assessment_engine import _build\n"
        "course_generation_graph().compile()\n"
        "_build(container.assessments.engine).compile()\n"
        "try:",
    )
    assert "langgraph.graph" in _langgraph_modules(code, tmp_path)

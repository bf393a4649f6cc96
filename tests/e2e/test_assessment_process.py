"""The real ``learnstream serve`` process: a broken knowledge base stops the start, and a kill -9
between a recorded answer and the next question loses nothing and counts nothing twice."""

from __future__ import annotations

import contextlib
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from infrastructure.knowledge_base.loader import HERE as SHIPPED_KB
from tests.conftest import drop_schema, free_port, postgres_url_with_schema, require_service
from tests.e2e.server_process import LearnstreamProcess, serve
from tests.fakes.fake_anthropic import DEFAULT_KEY, FakeAnthropic, delay, ok, prompt_of

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {"LEARNSTREAM_DATA_DIR": str(tmp_path / "var")}
    schema = None
    if request.param == "postgres":
        require_service("PostgreSQL", "127.0.0.1", 5432)
        schema = "e2e_" + uuid.uuid4().hex[:12]
        env["LEARNSTREAM_DATABASE_URL"] = postgres_url_with_schema(schema)
    yield env
    if schema is not None:
        drop_schema(schema)


def test_a_broken_knowledge_base_stops_the_start_naming_file_and_concept(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(SHIPPED_KB, kb, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    role = kb / "roles" / "backend_engineering.toml"
    text = role.read_text()
    role.write_text(text.replace('prerequisites = ["http_fundamentals"', 'prerequisites = ["http_basics"', 1))
    env = {"LEARNSTREAM_DATA_DIR": str(tmp_path / "var"), "LEARNSTREAM_KNOWLEDGE_BASE_DIR": str(kb)}
    process = LearnstreamProcess(["serve", "--port", str(free_port())], env, tmp_path / "serve.log").start()
    assert process.proc is not None
    assert process.proc.wait(timeout=120) != 0
    output = process.output()
    assert "roles/backend_engineering.toml: concept '" in output
    assert "unknown prerequisite 'http_basics'" in output


def judgement(_: dict) -> dict:
    return {"confidence": 0.8, "bloom_level": "apply", "covered_key_points": [0],
            "evidence": ["ok"], "reasoning": "fine"}


def answers(body: dict) -> dict:
    if body["tool_choice"]["name"] == "write_question":
        return {"question": f"Question after {prompt_of(body).count('- ')} asked: explain."}
    return judgement(body)


def test_kill_9_between_the_answer_and_the_next_question(store_env: dict[str, str], tmp_path: Path) -> None:
    with FakeAnthropic(responder=answers) as fake:
        env = {**store_env, "LEARNSTREAM_AI_PROVIDER": "anthropic",
               "LEARNSTREAM_ANTHROPIC_BASE_URL": fake.base_url}
        first = serve(env, tmp_path / "first.log", free_port())
        http = httpx.Client(base_url=first.base_url, timeout=30)
        assert http.post("/api/auth/register", json={"email": "k@example.com", "password": "password-123"}).status_code == 200
        assert http.post("/api/auth/api-key", json={"apiKey": DEFAULT_KEY}).status_code == 200
        session = http.post("/api/assessment/start", json={"skillIds": ["python"]}).json()
        sid = session["sessionId"]
        second = http.post(f"/api/assessment/{sid}/respond", json={"response": "one"}).text
        assert second.endswith("data: [DONE]\n\n")

        # The next answer is judged and recorded; writing the question after it hangs.
        fake.script(ok(judgement({})), delay(120))
        asked = fake.calls("write_question")
        lost = threading.Thread(target=lambda: _ignore(http, sid), daemon=True)
        lost.start()
        _wait(lambda: fake.calls("write_question") > asked)
        first.kill()
        lost.join(timeout=30)

        second_process = serve(env, tmp_path / "second.log", free_port())
        try:
            again = httpx.Client(base_url=second_process.base_url, timeout=30, cookies=http.cookies)
            retried = again.post(f"/api/assessment/{sid}/respond", json={"response": "two"})
            frames = retried.text.split("\n\n")
            assert frames[0].startswith("data: Question after") and frames[-2] == "data: [DONE]", retried.text
            assert '"total_questions":3' in frames[1]
            resumed = again.get(f"/api/assessment/{sid}/resume").json()
            assert resumed == {"sessionId": sid, "question": frames[0][len("data: "):]}
            nodes = again.get(f"/api/assessment/{sid}/graph").json()["nodes"]
            assert nodes and all(n["confidence"] == 0.8 for n in nodes if n["bloomLevel"] == "apply")
        finally:
            second_process.stop()
    from api.bootstrap import Container
    from domain.assessment import Assessment
    from infrastructure.settings import Settings

    container = Container.build(Settings.from_env({f"{k}": v for k, v in env.items()}))
    try:
        agg = container.events.get(uuid.UUID(sid), Assessment)
        assert [a.number for a in agg.answers] == [1, 2]  # nothing lost, nothing twice
        assert [q.number for q in agg.questions] == [1, 2, 3]
    finally:
        container.close()


def _ignore(http: httpx.Client, sid: str) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the server is killed under it
        http.post(f"/api/assessment/{sid}/respond", json={"response": "two"})


def _wait(condition, timeout: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)

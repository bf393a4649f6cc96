"""A client generated from the served ``/openapi.json`` works: openapi-python-client finds nothing
in the document to warn about, and the generated code signs in, creates a course (multipart,
with a thumbnail) and lists it against a real ``learnstream serve`` process."""

from __future__ import annotations

import importlib
import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from tests.conftest import free_port
from tests.e2e.server_process import ADMIN_EMAIL, ADMIN_PASSWORD, LearnstreamProcess, serve

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]
GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "learnstream_client"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LearnstreamProcess]:
    data = tmp_path_factory.mktemp("client-server")
    env = {
        "LEARNSTREAM_DATA_DIR": str(data),
        "LEARNSTREAM_ADMIN_EMAIL": ADMIN_EMAIL,
        "LEARNSTREAM_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "LEARNSTREAM_WEBHOOKS_WORKER": "0",
        "LEARNSTREAM_AI_PROVIDER": "offline",
    }
    process = serve(env, data / "serve.log", free_port())
    yield process
    process.stop()


@pytest.fixture(scope="module")
def generated(server: LearnstreamProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    if not GENERATOR.exists():
        pytest.skip("openapi-python-client is not installed")
    work = tmp_path_factory.mktemp("client")
    spec = work / "openapi.json"
    spec.write_bytes(httpx.get(server.base_url + "/openapi.json", timeout=30).content)
    config = work / "config.yaml"
    config.write_text("post_hooks: []\n")  # imported, not formatted: no ruff run afterwards
    result = subprocess.run(
        [
            str(GENERATOR), "generate", "--path", str(spec), "--output-path", str(work / PACKAGE),
            "--meta", "none", "--config", str(config), "--fail-on-warning",
        ],
        capture_output=True, text=True, timeout=300, check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output and "Unable to parse" not in output, output
    sys.path.insert(0, str(work))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(work))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_the_generated_client_signs_in_creates_and_lists_a_course(
    generated: ModuleType, server: LearnstreamProcess
) -> None:
    login = _module("api.auth.login")
    create_course = _module("api.courses.create_course")
    list_courses = _module("api.courses.list_courses")
    models = _module("models")
    types = _module("types")

    anonymous = generated.Client(base_url=server.base_url)
    refused = login.sync(client=anonymous, body=models.LoginForm(username=ADMIN_EMAIL, password="wrong-password"))
    assert isinstance(refused, models.ErrorBody) and refused.code == "INVALID_CREDENTIALS"

    signed_in = login.sync(client=anonymous, body=models.LoginForm(username=ADMIN_EMAIL, password=ADMIN_PASSWORD))
    assert isinstance(signed_in, models.LoginResult)
    client = generated.AuthenticatedClient(base_url=server.base_url, token=signed_in.tokens.access_token)

    thumbnail = types.File(payload=io.BytesIO(PNG), file_name="t.png", mime_type="image/png")
    form = models.CreateCourseFilesBody(
        name="Generated client course", description="d", about="a", public=True, thumbnail=thumbnail
    )
    course = create_course.sync(client=client, org_id="1", body=form)
    assert isinstance(course, models.CourseView), course
    assert course.name == "Generated client course" and course.public is True
    assert course.thumbnail_image.endswith("_thumbnail.png")

    blank = create_course.sync(
        client=client, org_id="1", body=models.CreateCourseFilesBody(name=" ", description="d", about="a")
    )
    assert isinstance(blank, models.ErrorBody) and blank.field == "name"

    listed = list_courses.sync(client=client, slug="default", page=1, limit=100)
    assert [c.course_uuid for c in listed] == [course.course_uuid]

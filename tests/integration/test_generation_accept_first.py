"""The 202 answers once the job is in the log; the job's reads wait for the jobs read model.

So a burst of generated courses being projected (or any slow batch) never holds up the next
request's 202, and a client that polls right after it still finds its job.
"""

from __future__ import annotations

import threading

import pytest

from tests.api.generation_support import submit, wait_for_job


@pytest.fixture
def settings_env(settings_env):
    # A wait for the read models would outlast the followers' pause below by far.
    return {**settings_env, "LEARNSTREAM_READ_YOUR_WRITES_TIMEOUT": "60"}


def test_a_202_comes_while_the_read_models_are_held_and_the_poll_then_finds_the_job(api, client, container):
    admin = api.admin()
    held = container.loop._stepping  # taken by the followers for every batch they apply
    released = threading.Event()

    def release_later() -> None:
        released.wait(30)
        held.release()

    held.acquire()
    releaser = threading.Thread(target=release_later)
    releaser.start()
    try:
        accepted = submit(client, admin, {"subject": "Held back"})
        answered_while_held = held.locked() and not released.is_set()
    finally:
        released.set()
        releaser.join()
    assert accepted.status_code == 202, accepted.text
    assert answered_while_held
    body = accepted.json()
    job = client.get(body["pollUrl"], headers=admin)
    assert job.status_code == 200 and job.json()["jobId"] == body["jobId"]
    listed = client.get("/api/v1/courses/jobs", headers=admin).json()["jobs"]
    assert [j["jobId"] for j in listed] == [body["jobId"]]
    assert wait_for_job(client, body["pollUrl"], admin)["status"] == "completed"

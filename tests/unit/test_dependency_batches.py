"""Handler dependencies that return at once are resolved in the request's own task, one after
another; a batch with a dependency that awaits is still resolved concurrently."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Litestar, get
from litestar.di import Provide
from litestar.exceptions import NotAuthorizedException
from litestar.testing import TestClient

from api import dependency_batches

dependency_batches.install()


def _task_name() -> str:
    task = asyncio.current_task()
    return task.get_name() if task is not None else "none"


def test_dependencies_that_return_at_once_run_in_the_requests_task() -> None:
    def first() -> str:
        return _task_name()

    def second() -> str:
        return _task_name()

    def third(first: str) -> str:  # a second batch: it depends on ``first``
        return first + "|" + _task_name()

    @get("/")
    async def handler(first: str, second: str, third: str) -> dict[str, str]:
        return {"handler": _task_name(), "first": first, "second": second, "third": third}

    deps = {name: Provide(fn, sync_to_thread=False) for name, fn in
            (("first", first), ("second", second), ("third", third))}
    with TestClient(app=Litestar([handler], dependencies=deps)) as client:
        seen = client.get("/").json()
    assert seen["first"] == seen["second"] == seen["handler"]
    assert seen["third"] == f"{seen['handler']}|{seen['handler']}"


def test_a_batch_with_dependencies_that_await_still_runs_them_together() -> None:
    # Each waits for the other to have started: resolved one after the other, neither could end.
    async def left(request: Any) -> str:
        events = request.app.state.events
        events["left"].set()
        await asyncio.wait_for(events["right"].wait(), 5)
        return "left"

    async def right(request: Any) -> str:
        events = request.app.state.events
        events["right"].set()
        await asyncio.wait_for(events["left"].wait(), 5)
        return "right"

    @get("/")
    async def handler(left: str, right: str) -> str:
        return left + right

    def on_startup(app: Litestar) -> None:
        app.state.events = {"left": asyncio.Event(), "right": asyncio.Event()}

    app = Litestar([handler], dependencies={"left": Provide(left), "right": Provide(right)}, on_startup=[on_startup])
    with TestClient(app=app) as client:
        answer = client.get("/")
    assert answer.status_code == 200, answer.text
    assert answer.text == "leftright"


def test_an_error_in_a_dependency_answers_as_before() -> None:
    def principal() -> str:
        raise NotAuthorizedException("Not authenticated")

    def service() -> str:
        return "service"

    @get("/")
    async def handler(principal: str, service: str) -> str:
        return principal + service

    deps = {"principal": Provide(principal, sync_to_thread=False), "service": Provide(service, sync_to_thread=False)}
    with TestClient(app=Litestar([handler], dependencies=deps)) as client:
        answer = client.get("/")
    assert answer.status_code == 401
    assert answer.json()["detail"] == "Not authenticated"

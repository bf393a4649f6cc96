"""A fake Messages API that writes like the offline writer but holds the third chapter until
released, so a test can kill a worker with two chapters finished and one in flight; and the
count of chapter calls it saw, to show no finished step was asked for twice."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from application.generation_prompts import brief_of
from application.offline_course_writer import written
from tests.fakes.fake_anthropic import FakeAnthropic, prompt_of, tool_name_of

#: the third chapter (index 2) is the one held
HELD = 2


@contextmanager
def holding_the_third_chapter() -> Iterator[tuple[FakeAnthropic, threading.Event]]:
    release = threading.Event()

    def respond(body: dict) -> dict:
        tool, prompt = tool_name_of(body), prompt_of(body)
        if tool == "write_chapter" and brief_of(prompt)["index"] == HELD:
            release.wait(60)
        return written(tool, prompt)

    with FakeAnthropic(responder=respond) as server:
        yield server, release
        release.set()


def chapter_calls(server: FakeAnthropic) -> Counter[int]:
    return Counter(
        brief_of(prompt_of(r.body or {}))["index"]
        for r in server.messages_requests()
        if r.tool_name == "write_chapter"
    )

"""What runs at the same time, seen from the fake Messages API: a job's chapters all at once
(LangGraph ``Send``), then its add-ons all at once; and one worker running several jobs at
once, never more than ``LEARNSTREAM_GENERATION_CONCURRENCY``."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest

from application.generation_prompts import brief_of
from application.offline_course_writer import written
from tests.api.generation_support import submit, wait_for_job
from tests.fakes.fake_anthropic import FakeAnthropic, prompt_of, tool_name_of

HOLD = 2.0  # each call's latency: long enough for calls that run together to overlap on a loaded machine


@pytest.fixture
def backend():
    return "sqlite"  # scheduling does not depend on the store


@dataclass
class Call:
    tool: str
    subject: str
    started: float
    ended: float = 0.0


@dataclass
class Tracker:
    """A responder that answers like the offline writer after ``HOLD`` seconds and records
    when each call was in flight."""

    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, body: dict) -> dict:
        tool, prompt = tool_name_of(body), prompt_of(body)
        call = Call(tool, brief_of(prompt)["subject"], time.monotonic())
        with self.lock:
            self.calls.append(call)
        time.sleep(HOLD)
        call.ended = time.monotonic()
        return written(tool, prompt)

    def most_at_once(self, key) -> int:
        """The largest number of distinct ``key(call)`` values in flight at one moment."""
        best = 0
        for moment in (c.started for c in self.calls):
            live = {key(c) for c in self.calls if c.started <= moment < c.ended}
            best = max(best, len(live))
        return best


@pytest.fixture
def tracker(fake_anthropic: FakeAnthropic) -> Tracker:
    made = Tracker()
    fake_anthropic.responder = made
    return made


@pytest.fixture
def settings_env(settings_env, fake_anthropic, tracker):
    return {
        **settings_env,
        "LEARNSTREAM_AI_PROVIDER": "anthropic",
        "LEARNSTREAM_ANTHROPIC_API_KEY": fake_anthropic.api_key,
        "LEARNSTREAM_ANTHROPIC_BASE_URL": fake_anthropic.base_url,
        "LEARNSTREAM_ANTHROPIC_TIMEOUT": "30",
        "LEARNSTREAM_GENERATION_POLL_SECONDS": "0.1",
        "LEARNSTREAM_GENERATION_CONCURRENCY": "2",
    }


def test_chapters_are_written_at_once_then_the_add_ons_at_once(api, client, tracker):
    admin = api.admin()
    body = {
        "subject": "Fire safety", "format": "classic", "outline": ["Causes", "Alarms", "Extinguishers"],
        "addOns": ["assessment", "practical-exercises"],
    }
    job = wait_for_job(client, submit(client, admin, body).json()["pollUrl"], admin, timeout=90)
    assert job["status"] == "completed", job

    by_tool: dict[str, list[Call]] = {}
    for call in tracker.calls:
        by_tool.setdefault(call.tool, []).append(call)
    [outline] = by_tool["write_outline"]
    chapters = by_tool["write_chapter"]
    add_ons = by_tool["write_assessment"] + by_tool["write_practical_exercises"]
    assert len(chapters) == 3 and len(add_ons) == 2
    # Every chapter was asked for at once, after the outline; every add-on at once, after them.
    assert all(c.started >= outline.ended for c in chapters)
    assert max(c.started for c in chapters) < min(c.ended for c in chapters)
    assert all(a.started >= max(c.ended for c in chapters) for a in add_ons)
    assert max(a.started for a in add_ons) < min(a.ended for a in add_ons)


def test_one_worker_runs_several_jobs_at_once_up_to_its_concurrency(api, client, tracker):
    admin = api.admin()
    polls = [
        submit(client, admin, {"subject": f"Topic {i}", "outline": ["Only chapter"]}).json()["pollUrl"]
        for i in range(4)
    ]
    for poll in polls:
        assert wait_for_job(client, poll, admin, timeout=90)["status"] == "completed"
    # Two jobs at a time (the setting), never one after another, never three.
    assert tracker.most_at_once(lambda c: c.subject) == 2
    assert {c.subject for c in tracker.calls} == {f"Topic {i}" for i in range(4)}

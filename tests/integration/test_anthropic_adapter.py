"""The Anthropic adapter through the official SDK, against a local fake Messages API."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import msgspec
import pytest

from application.language_model import (
    ModelAuthError,
    ModelBadOutput,
    ModelError,
    ModelRateLimited,
    ModelRequestRejected,
    ModelServerError,
    ModelTimedOut,
    ModelUnreachable,
    StructuredRequest,
    seed_error,
)
from infrastructure.ai import AnthropicModel, AnthropicModels
from infrastructure.ai.anthropic_models import Transport, http_client
from infrastructure.ai.tool_schema import tool_input_schema
from tests.fakes import pytest_plugin
from tests.fakes.fake_anthropic import (
    FakeAnthropic,
    delay,
    malformed,
    ok,
    overloaded,
    prompt_of,
    rate_limited,
    server_error,
    status,
    tool_name_of,
)

# The fixture, bound here so this module needs no conftest registration.
fake_anthropic = pytest_plugin.fake_anthropic

MODEL = "claude-sonnet-4-5"
SYSTEM = "You design short, practical courses. " * 40


class Chapter(msgspec.Struct):
    title: str
    minutes: int


class Outline(msgspec.Struct):
    title: str
    chapters: list[Chapter]


GOOD = {"title": "Workplace safety basics", "chapters": [{"title": "Hazards", "minutes": 20}]}
EXPECTED = Outline("Workplace safety basics", [Chapter("Hazards", 20)])


def outline_request(
    prompt: str = "Workplace safety basics", **extra: Any
) -> StructuredRequest[Outline]:
    return StructuredRequest(
        system=SYSTEM,
        prompt=prompt,
        output=Outline,
        tool_name="write_outline",
        tool_description="Record the course outline.",
        **extra,
    )


class Waits(list[float]):
    """An injected sleep: records each wait instead of sleeping."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


#: the HTTP stack under the SDK for this test: each test runs on both (the generation worker
#: uses aiohttp, the API's assessment calls httpx)
TRANSPORT: list[Transport] = ["httpx"]


@pytest.fixture(autouse=True, params=["httpx", "aiohttp"])
def transport(request: pytest.FixtureRequest) -> Iterator[str]:
    TRANSPORT[0] = request.param
    yield request.param
    TRANSPORT[0] = "httpx"


def run(
    fake: FakeAnthropic,
    action: Callable[[AnthropicModel], Awaitable[Any]],
    waits: Waits | None = None,
    **options: Any,
) -> Any:
    async def main() -> Any:
        http = http_client(TRANSPORT[0])
        model = AnthropicModel(
            options.pop("api_key", fake.api_key),
            base_url=options.pop("base_url", fake.base_url),
            model=MODEL,
            max_tokens=512,
            timeout=options.pop("timeout", 10.0),
            sleep=waits if waits is not None else Waits(),
            http_client=http,
            **options,
        )
        try:
            return await action(model)
        finally:
            await model.aclose()
            await http.aclose()

    return asyncio.run(main())


def ask(model: AnthropicModel) -> Awaitable[Outline]:
    return model.structured(outline_request())


def check(model: AnthropicModel) -> Awaitable[None]:
    return model.check_key()


# -- a structured answer ----------------------------------------------------------------------


def test_a_tool_answer_is_decoded_into_the_requested_struct(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(ok(GOOD))

    assert run(fake_anthropic, ask) == EXPECTED

    [sent] = fake_anthropic.messages_requests()
    assert sent.api_key == fake_anthropic.api_key
    body = sent.body
    assert body is not None
    assert body["model"] == MODEL
    assert body["max_tokens"] == 512
    assert body["system"] == [
        {"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}
    ]
    assert body["tool_choice"] == {"type": "tool", "name": "write_outline"}
    [tool] = body["tools"]
    assert tool["name"] == "write_outline"
    assert tool["description"] == "Record the course outline."
    assert tool["input_schema"] == tool_input_schema(Outline)
    chapter = tool["input_schema"]["properties"]["chapters"]["items"]
    assert chapter["properties"]["minutes"] == {"type": "integer"}
    assert "$ref" not in json.dumps(tool) and "$defs" not in json.dumps(tool)
    assert prompt_of(body) == "Workplace safety basics"


def test_the_model_name_and_a_per_request_token_budget(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(ok(GOOD))

    async def ask_short(model: AnthropicModel) -> str:
        await model.structured(outline_request(max_tokens=64))
        return model.name

    assert run(fake_anthropic, ask_short) == "anthropic:claude-sonnet-4-5"
    assert fake_anthropic.requests[-1].body["max_tokens"] == 64  # type: ignore[index]


def test_the_responder_answers_by_tool_name_when_nothing_is_scripted(
    fake_anthropic: FakeAnthropic,
) -> None:
    fake_anthropic.responder = lambda body: {
        "title": f"{tool_name_of(body)}: {prompt_of(body)}",
        "chapters": [],
    }

    async def twice(model: AnthropicModel) -> list[Outline]:
        return [await model.structured(outline_request(p)) for p in ("Python", "SQL")]

    answers = run(fake_anthropic, twice)

    assert [a.title for a in answers] == ["write_outline: Python", "write_outline: SQL"]
    assert fake_anthropic.calls("write_outline") == 2
    assert fake_anthropic.calls("something_else") == 0


# -- failures the user can act on -------------------------------------------------------------


def test_a_revoked_key_is_an_auth_error_at_once(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.revoke(fake_anthropic.api_key)
    waits = Waits()

    with pytest.raises(ModelAuthError) as caught:
        run(fake_anthropic, ask, waits)

    assert fake_anthropic.calls() == 1
    assert waits == []
    assert seed_error(caught.value) == (
        401,
        "Your API key is invalid or has been revoked. Please update it in settings.",
    )


def test_a_forbidden_key_is_an_auth_error_too(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(status(403))

    with pytest.raises(ModelAuthError):
        run(fake_anthropic, ask)
    assert fake_anthropic.calls() == 1


def test_a_rate_limit_is_waited_out_as_the_retry_after_header_says(
    fake_anthropic: FakeAnthropic,
) -> None:
    fake_anthropic.script(rate_limited(retry_after=1), ok(GOOD))
    waits = Waits()

    assert run(fake_anthropic, ask, waits) == EXPECTED
    assert waits == [1.0]
    assert fake_anthropic.calls() == 2


def test_a_persisting_rate_limit_gives_up_with_retry_after(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(*[rate_limited(retry_after=2)] * 3, ok(GOOD))
    waits = Waits()

    with pytest.raises(ModelRateLimited) as caught:
        run(fake_anthropic, ask, waits)

    assert caught.value.retry_after == 2
    assert waits == [2.0, 2.0]
    assert fake_anthropic.calls() == 3
    assert fake_anthropic.pending == 1
    assert seed_error(caught.value) == (
        429,
        "Rate limit reached. Please wait a moment and try again.",
    )


def test_a_retry_after_longer_than_the_cap_is_handed_to_the_caller(
    fake_anthropic: FakeAnthropic,
) -> None:
    fake_anthropic.script(rate_limited(retry_after=120), ok(GOOD))
    waits = Waits()

    with pytest.raises(ModelRateLimited) as caught:
        run(fake_anthropic, ask, waits, max_wait=30.0)

    assert caught.value.retry_after == 120
    assert waits == []
    assert fake_anthropic.calls() == 1


@pytest.mark.parametrize(
    "failure", [server_error(), overloaded(), status(503)], ids=["500", "529", "503"]
)
def test_a_server_error_or_overload_is_retried_after_a_backoff(
    fake_anthropic: FakeAnthropic, failure: Any
) -> None:
    fake_anthropic.script(failure, ok(GOOD))
    waits = Waits()

    assert run(fake_anthropic, ask, waits, backoff_base=0.5) == EXPECTED
    assert fake_anthropic.calls() == 2
    [wait] = waits
    assert 0.5 <= wait <= 0.75


def test_persisting_server_errors_give_up_after_max_attempts(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(overloaded(), server_error(), overloaded(), server_error(), ok(GOOD))
    waits = Waits()

    with pytest.raises(ModelServerError) as caught:
        run(fake_anthropic, ask, waits, max_attempts=4, backoff_base=0.5)

    assert fake_anthropic.calls() == 4
    assert len(waits) == 3
    for attempt, wait in enumerate(waits):
        assert 0.5 * 2**attempt <= wait <= 0.75 * 2**attempt
    assert seed_error(caught.value) == (
        502,
        "The AI service encountered an error. Please try again.",
    )


def test_a_rejected_request_is_not_retried(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(status(400), ok(GOOD))

    with pytest.raises(ModelRequestRejected) as caught:
        run(fake_anthropic, ask)

    assert caught.value.status == 400
    assert caught.value.code == "model_request_rejected"
    assert fake_anthropic.calls() == 1
    assert seed_error(caught.value)[0] == 502


def test_a_slow_answer_times_out_after_the_retries(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(delay(6), delay(6), delay(6), ok(GOOD))
    waits = Waits()

    with pytest.raises(ModelTimedOut) as caught:
        run(fake_anthropic, ask, waits, timeout=1.5)

    assert fake_anthropic.calls() == 3
    assert len(waits) == 2
    assert seed_error(caught.value) == (504, "The AI service timed out. Please try again.")


def test_a_slow_answer_then_a_quick_one_succeeds(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(delay(6), ok(GOOD))

    assert run(fake_anthropic, ask, timeout=1.5) == EXPECTED  # the quick one ends well within it
    assert fake_anthropic.calls() == 2


def test_no_server_is_unreachable_after_the_retries() -> None:
    with FakeAnthropic() as gone:
        pass  # closed: nothing listens on its port any more
    waits = Waits()

    with pytest.raises(ModelUnreachable) as caught:
        run(gone, ask, waits)

    assert len(waits) == 2
    assert seed_error(caught.value) == (
        502,
        "Unable to reach the AI service. Please try again shortly.",
    )


def test_an_unreadable_answer_is_asked_again(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(malformed(), ok(GOOD))
    waits = Waits()

    assert run(fake_anthropic, ask, waits) == EXPECTED
    assert fake_anthropic.calls() == 2
    assert waits == []


def test_answers_that_never_fit_the_schema_are_bad_output(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(
        malformed(),
        malformed({"title": "No chapters"}),
        malformed({"title": "Wrong type", "chapters": [{"title": "x", "minutes": "lots"}]}),
        ok(GOOD),
    )

    with pytest.raises(ModelBadOutput) as caught:
        run(fake_anthropic, ask)

    assert fake_anthropic.calls() == 3
    assert "minutes" in str(caught.value)
    code, message = seed_error(caught.value)
    assert code == 502 and "could not read" in message


def test_bad_output_and_server_errors_share_the_attempts(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(server_error(), malformed(), malformed(), ok(GOOD))

    with pytest.raises(ModelBadOutput):
        run(fake_anthropic, ask)
    assert fake_anthropic.calls() == 3


# -- checking a key ---------------------------------------------------------------------------


def test_check_key_lists_one_model_with_the_key(fake_anthropic: FakeAnthropic) -> None:
    run(fake_anthropic, check)

    [sent] = fake_anthropic.requests
    assert (sent.method, sent.path) == ("GET", "/v1/models")
    assert sent.api_key == fake_anthropic.api_key
    assert fake_anthropic.calls() == 0  # no Messages call spent


def test_check_key_with_a_revoked_key(fake_anthropic: FakeAnthropic) -> None:
    with pytest.raises(ModelAuthError):
        run(fake_anthropic, check, api_key="sk-ant-someone-elses-old-key")
    assert len(fake_anthropic.requests) == 1


def test_check_key_when_rate_limited(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(*[rate_limited(retry_after=3)] * 3)
    waits = Waits()

    with pytest.raises(ModelRateLimited) as caught:
        run(fake_anthropic, check, waits)

    assert caught.value.retry_after == 3
    assert len(fake_anthropic.requests) == 3


# -- error texts and secrets ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            ModelAuthError(),
            (401, "Your API key is invalid or has been revoked. Please update it in settings."),
        ),
        (
            ModelRateLimited(retry_after=5),
            (429, "Rate limit reached. Please wait a moment and try again."),
        ),
        (ModelUnreachable(), (502, "Unable to reach the AI service. Please try again shortly.")),
        (ModelTimedOut(), (504, "The AI service timed out. Please try again.")),
        (ModelServerError(), (502, "The AI service encountered an error. Please try again.")),
        (ModelError(), (502, "The AI service encountered an error. Please try again.")),
    ],
)
def test_seed_error_texts(error: ModelError, expected: tuple[int, str]) -> None:
    assert seed_error(error) == expected


def test_the_key_never_shows_in_repr_errors_or_logs(
    fake_anthropic: FakeAnthropic, caplog: pytest.LogCaptureFixture
) -> None:
    key = fake_anthropic.api_key
    caplog.set_level(logging.DEBUG)
    fake_anthropic.script(rate_limited(retry_after=1), malformed(), ok(GOOD), status(401))

    async def story(model: AnthropicModel) -> list[str]:
        seen = [repr(model), str(model)]
        await model.structured(outline_request())
        try:
            await model.structured(outline_request())
        except ModelAuthError as exc:
            seen += [str(exc), repr(exc), repr(exc.__cause__)]
        return seen

    seen = run(fake_anthropic, story)

    assert len(seen) == 5
    assert caplog.records, "the retries should have been logged"
    logged = [r.getMessage() + repr(vars(r)) for r in caplog.records]
    for text in seen + logged:
        assert key not in text
        assert key[-12:] not in text


def test_models_per_key_are_cached_and_use_their_own_key() -> None:
    with FakeAnthropic(api_keys=("sk-ant-org-one", "sk-ant-org-two", "sk-ant-user-three")) as fake:
        fake.responder = lambda body: GOOD

        async def main() -> None:
            models = AnthropicModels(
                model=MODEL, max_tokens=256, timeout=10.0, base_url=fake.base_url, capacity=2
            )
            one = models.for_key("sk-ant-org-one")
            assert models.for_key("sk-ant-org-one") is one
            two = models.for_key("sk-ant-org-two")
            assert two is not one
            models.for_key("sk-ant-org-one")  # one is now the most recently used
            three = models.for_key("sk-ant-user-three")  # evicts two
            assert models.for_key("sk-ant-org-one") is one
            assert models.for_key("sk-ant-org-two") is not two
            for model in (one, two, three):  # an evicted model finishes what it was doing
                assert await model.structured(outline_request()) == EXPECTED
            assert "sk-ant" not in repr(models)
            await models.aclose()

        asyncio.run(main())

    keys = [r.api_key for r in fake.messages_requests()]
    assert keys == ["sk-ant-org-one", "sk-ant-org-two", "sk-ant-user-three"]

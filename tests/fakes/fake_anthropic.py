"""A local Anthropic Messages API on 127.0.0.1, real enough for the official SDK.

Start one and point the SDK (or ``AnthropicModel``) at it::

    from tests.fakes.fake_anthropic import FakeAnthropic, ok, status, delay, malformed

    with FakeAnthropic() as fake:                  # or the ``fake_anthropic`` pytest fixture
        model = AnthropicModel(fake.api_key, base_url=fake.base_url, model="claude-sonnet-4-5",
                               max_tokens=1024, timeout=5)

        fake.script(status(429, headers={"retry-after": "1"}), ok({"title": "Hazards"}))
        await model.structured(request)           # 429, then the scripted tool answer

        fake.responder = lambda body: {"title": f"About {prompt_of(body)}"}
        await model.structured(request)           # queue empty: the responder answers

        fake.calls()                              # POST /v1/messages received so far
        fake.calls("write_outline")               # ... whose tool_choice named that tool
        fake.messages_requests()[-1].body         # parsed JSON; ``fake.requests`` has them all
        fake.pending                              # scripted outcomes not used yet

What it does, per request:

- The key (``x-api-key``, or ``Authorization: Bearer`` as newer SDKs send it; read it back as
  ``request.api_key``) must be one of ``fake.api_keys`` (mutable; ``fake.revoke(key)``), else 401
  ``authentication_error``; a missing ``anthropic-version`` header is a 400, as on the real API.
- Otherwise the next scripted outcome answers it (``POST /v1/messages`` and ``GET /v1/models``
  share one queue, in arrival order). Outcomes:
  ``ok(tool_input)`` a ``tool_use`` answer (on ``/v1/models``: the model list);
  ``status(code, body=None, headers=None)`` an error in the API's shape (``rate_limited(...)``,
  ``overloaded()``, ``server_error()``, ``unauthorized()`` are shorthands);
  ``delay(seconds, then=None)`` wait, then answer with ``then`` (default: as if unscripted), so
  a client timeout shorter than ``seconds`` sees a timeout;
  ``malformed()`` a text-only answer, ``malformed(tool_input)`` a tool answer of the wrong shape.
- With the queue empty, ``responder(body) -> dict`` (the tool input) answers; it may also return
  an outcome. With neither, the fake answers 500 and records the request in ``fake.unanswered``.
- ``latency`` (seconds) is waited before every answer; usage reports a prompt-cache write the
  first time a ``cache_control`` system prompt is seen and a cache read after that.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

DEFAULT_KEY = "sk-ant-fake-test-key-0123456789"

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


@dataclass(frozen=True)
class Outcome:
    """One scripted answer; build it with ``ok``, ``status``, ``delay`` or ``malformed``."""

    kind: str  # "ok" | "status" | "delay" | "text"
    tool_input: Any = None
    code: int = 200
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    then: Outcome | None = None


def ok(tool_input: dict[str, Any]) -> Outcome:
    return Outcome("ok", tool_input=tool_input)


def status(
    code: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> Outcome:
    return Outcome("status", code=code, body=body, headers=dict(headers or {}))


def delay(seconds: float, then: Outcome | None = None) -> Outcome:
    return Outcome("delay", seconds=seconds, then=then)


def malformed(tool_input: Any = None) -> Outcome:
    """A text-only answer (no tool call), or, given ``tool_input``, a tool call carrying it."""
    return Outcome("text") if tool_input is None else Outcome("ok", tool_input=tool_input)


def rate_limited(retry_after: float | None = 1) -> Outcome:
    headers = {} if retry_after is None else {"retry-after": str(retry_after)}
    return status(429, headers=headers)


def overloaded() -> Outcome:
    return status(529)


def server_error() -> Outcome:
    return status(500)


def unauthorized() -> Outcome:
    return status(401)


def error_body(code: int, message: str | None = None) -> dict[str, Any]:
    kind = _ERROR_TYPES.get(code, "api_error")
    return {"type": "error", "error": {"type": kind, "message": message or kind.replace("_", " ")}}


def tool_name_of(body: dict[str, Any]) -> str:
    """The tool a Messages request forces (``tool_choice``), else its first tool's name."""
    choice = body.get("tool_choice") or {}
    if choice.get("type") == "tool":
        return str(choice.get("name"))
    tools = body.get("tools") or [{}]
    return str(tools[0].get("name", ""))


def prompt_of(body: dict[str, Any]) -> str:
    """The text of the last user message."""
    content = (body.get("messages") or [{}])[-1].get("content", "")
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def system_of(body: dict[str, Any]) -> str:
    system = body.get("system", "")
    if isinstance(system, list):
        return "".join(block.get("text", "") for block in system)
    return str(system)


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: dict[str, Any] | None

    @property
    def tool_name(self) -> str:
        return tool_name_of(self.body or {})

    @property
    def api_key(self) -> str | None:
        """The key as sent: ``x-api-key``, or ``Authorization: Bearer`` (newer SDKs send that)."""
        if "x-api-key" in self.headers:
            return self.headers["x-api-key"]
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None


Responder = Callable[[dict[str, Any]], "dict[str, Any] | Outcome"]


class FakeAnthropic:
    def __init__(
        self,
        *,
        api_keys: tuple[str, ...] = (DEFAULT_KEY,),
        latency: float = 0.0,
        responder: Responder | None = None,
    ) -> None:
        self.api_keys: set[str] = set(api_keys)
        self.api_key = api_keys[0]
        self.latency = latency
        self.responder = responder
        self.requests: list[RecordedRequest] = []
        self.unanswered: list[RecordedRequest] = []
        self.tool_calls: Counter[str] = Counter()
        self._queue: deque[Outcome] = deque()
        self._cached_systems: set[str] = set()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    # -- the test's side -------------------------------------------------------------------

    def script(self, *outcomes: Outcome) -> FakeAnthropic:
        with self._lock:
            self._queue.extend(outcomes)
        return self

    @property
    def pending(self) -> int:
        """Scripted outcomes not used yet."""
        with self._lock:
            return len(self._queue)

    def calls(self, tool_name: str | None = None) -> int:
        """``POST /v1/messages`` requests received, optionally only those for one tool."""
        with self._lock:
            if tool_name is not None:
                return self.tool_calls[tool_name]
            return sum(self.tool_calls.values())

    def messages_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == "/v1/messages"]

    def revoke(self, key: str) -> None:
        self.api_keys.discard(key)

    def close(self) -> None:
        self._closing.set()  # releases answers still waiting on a delay
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeAnthropic:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the server's side -----------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlparse(handler.path)
        length = int(handler.headers.get("content-length") or 0)
        raw = handler.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in handler.headers.items()}
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        recorded = RecordedRequest(method, url.path, headers, body)
        with self._lock:
            self.requests.append(recorded)
        code, reply, extra = self._answer(recorded, parse_qs(url.query))
        if self.latency:
            self._closing.wait(self.latency)
        data = json.dumps(reply).encode()
        try:
            handler.send_response(code)
            handler.send_header("content-type", "application/json")
            handler.send_header("content-length", str(len(data)))
            handler.send_header("request-id", f"req_fake_{uuid.uuid4().hex[:16]}")
            for name, value in extra.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            pass  # the client gave up (its timeout): nothing to answer

    def _answer(
        self, request: RecordedRequest, query: dict[str, list[str]]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if request.method == "POST" and request.path == "/v1/messages":
            with self._lock:
                self.tool_calls[request.tool_name] += 1
        if request.api_key not in self.api_keys:
            return 401, error_body(401, "invalid x-api-key"), {}
        if "anthropic-version" not in request.headers:
            return 400, error_body(400, "anthropic-version: header is required"), {}
        if request.method == "GET" and request.path == "/v1/models":
            return self._play(self._next_outcome(None), request, query)
        if request.method == "POST" and request.path == "/v1/messages":
            invalid = _invalid_messages_request(request.body)
            if invalid:
                return 400, error_body(400, invalid), {}
            assert request.body is not None
            return self._play(self._next_outcome(request.body), request, query)
        return 404, error_body(404, f"{request.method} {request.path} is not served here"), {}

    def _next_outcome(self, body: dict[str, Any] | None) -> Outcome | None:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        return self._unscripted(body)

    def _unscripted(self, body: dict[str, Any] | None) -> Outcome | None:
        if body is None:
            return Outcome("ok")  # a model list needs no responder
        if self.responder is None:
            return None
        answer = self.responder(body)
        return answer if isinstance(answer, Outcome) else ok(answer)

    def _play(
        self, outcome: Outcome | None, request: RecordedRequest, query: dict[str, list[str]]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if outcome is None:
            with self._lock:
                self.unanswered.append(request)
            return 500, error_body(500, "fake Anthropic: nothing scripted and no responder"), {}
        if outcome.kind == "delay":
            self._closing.wait(outcome.seconds)
            # Not the queue: its next outcome belongs to the client's next attempt.
            following = outcome.then or self._unscripted(request.body)
            return self._play(following, request, query)
        if outcome.kind == "status":
            return outcome.code, outcome.body or error_body(outcome.code), outcome.headers
        if request.path == "/v1/models":
            return 200, _model_list(int((query.get("limit") or ["20"])[0])), {}
        assert request.body is not None
        if outcome.kind == "text":
            content = [{"type": "text", "text": "I would rather answer in prose."}]
            return 200, self._message(request.body, content, "end_turn"), {}
        block = {
            "type": "tool_use",
            "id": f"toolu_fake_{uuid.uuid4().hex[:20]}",
            "name": request.tool_name,
            "input": outcome.tool_input,
        }
        return 200, self._message(request.body, [block], "tool_use"), {}

    def _message(
        self, body: dict[str, Any], content: list[dict[str, Any]], stop: str
    ) -> dict[str, Any]:
        return {
            "id": f"msg_fake_{uuid.uuid4().hex[:20]}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", ""),
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": self._usage(body, content),
        }

    def _usage(self, body: dict[str, Any], content: list[dict[str, Any]]) -> dict[str, int]:
        system = body.get("system")
        cacheable = isinstance(system, list) and any(b.get("cache_control") for b in system)
        system_tokens = len(system_of(body)) // 4
        created = read = 0
        if cacheable:
            with self._lock:
                seen = system_of(body) in self._cached_systems
                self._cached_systems.add(system_of(body))
            created, read = (0, system_tokens) if seen else (system_tokens, 0)
        return {
            "input_tokens": len(prompt_of(body)) // 4 + (0 if cacheable else system_tokens) + 1,
            "output_tokens": len(json.dumps(content)) // 4 + 1,
            "cache_creation_input_tokens": created,
            "cache_read_input_tokens": read,
        }


class _Server(ThreadingHTTPServer):
    # Benchmarks open many connections at once; the default backlog of 5 drops SYNs and the
    # client's retransmit adds a second to some calls.
    request_queue_size = 256


def _invalid_messages_request(body: dict[str, Any] | None) -> str | None:
    if not isinstance(body, dict):
        return "request body must be a JSON object"
    for name in ("model", "max_tokens", "messages"):
        if name not in body:
            return f"{name}: Field required"
    tools = body.get("tools") or []
    for tool in tools:
        if (tool.get("input_schema") or {}).get("type") != "object":
            return f"tools.{tool.get('name')}.input_schema.type: Input should be 'object'"
    choice = body.get("tool_choice")
    if (
        choice
        and choice.get("type") == "tool"
        and choice.get("name") not in {t.get("name") for t in tools}
    ):
        return f"tool_choice.name: no tool named {choice.get('name')!r}"
    return None


def _model_list(limit: int) -> dict[str, Any]:
    models = [
        {
            "type": "model",
            "id": "claude-sonnet-4-5",
            "display_name": "Claude Sonnet 4.5",
            "created_at": "2025-09-29T00:00:00Z",
        },
        {
            "type": "model",
            "id": "claude-haiku-4-5",
            "display_name": "Claude Haiku 4.5",
            "created_at": "2025-10-15T00:00:00Z",
        },
    ][: max(1, limit)]
    return {
        "data": models,
        "has_more": limit < 2,
        "first_id": models[0]["id"],
        "last_id": models[-1]["id"],
    }

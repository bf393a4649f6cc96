"""A fast fake Messages API for benchmarks: asyncio + httptools, thousands of concurrent calls.

``tests/fakes/fake_anthropic.py`` is the one tests use (scriptable outcomes, request log); it
serves each request on a thread with ``http.server``, which tops out near a hundred requests a
second on this machine, so a benchmark of fifty jobs at once would measure the fake. This one
answers every tool call like the offline writer (memoised by tool and brief) after a fixed
latency, on one event loop, with TCP_NODELAY.

    python bench/fake_model_server.py LATENCY   # prints "BASE_URL API_KEY", serves until killed
"""

from __future__ import annotations

import asyncio
import socket
import sys
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

import httptools
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from application.generation_prompts import brief_of
from application.offline_course_writer import written

KEY = "sk-ant-bench-fake-key"


@lru_cache(maxsize=4096)
def _answer(tool: str, prompt: str) -> dict[str, Any]:
    brief_of(prompt)  # a prompt without a brief is a bug in the caller: fail loudly
    return written(tool, prompt)


def _message(body: dict[str, Any]) -> bytes:
    choice = body.get("tool_choice") or {}
    tool = str(choice.get("name") or body["tools"][0]["name"])
    content = body["messages"][-1]["content"]
    prompt = content if isinstance(content, str) else "".join(p.get("text", "") for p in content)
    return msgspec.json.encode({
        "id": "msg_bench_" + uuid.uuid4().hex[:16], "type": "message", "role": "assistant",
        "model": body.get("model", ""), "stop_reason": "tool_use", "stop_sequence": None,
        "content": [{"type": "tool_use", "id": "toolu_" + uuid.uuid4().hex[:16], "name": tool,
                     "input": _answer(tool, prompt)}],
        "usage": {"input_tokens": 100, "output_tokens": 100, "cache_creation_input_tokens": 0,
                  "cache_read_input_tokens": 100},
    })


class _Connection(asyncio.Protocol):
    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.parser = httptools.HttpRequestParser(self)
        self.body: list[bytes] = []
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self.transport is not None:
                self.transport.close()

    def on_message_begin(self) -> None:
        self.body = []

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        raw = b"".join(self.body)
        asyncio.get_running_loop().create_task(self._reply(raw))

    async def _reply(self, raw: bytes) -> None:
        payload = _message(msgspec.json.decode(raw)) if raw else b"{}"
        await asyncio.sleep(self.latency)
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                + str(len(payload)).encode() + b"\r\n\r\n" + payload
            )


async def serve(latency: float) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Connection(latency), "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(f"http://127.0.0.1:{port} {KEY}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(float(sys.argv[1])))

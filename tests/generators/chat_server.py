"""A local OpenAI-compatible chat-completions server for tests: scripted replies, recorded requests.

    with ChatServer(answer=lambda request: completion(["```python\\n...\\n```"])) as server:
        client = AsyncOpenAI(base_url=server.base_url, api_key="k")

It listens on 127.0.0.1 on an ephemeral port (or the `port` given: a test can point a client at a port
before anything listens there), in an aiohttp application running on its own thread and event
loop, so the code under test can be synchronous or asynchronous. `POST /v1/chat/completions` answers with:
1. the next queued `Reply` (`server.script(reply, ...)`), in order, while any are queued;
2. else `answer(request_json)` (a `Reply`, or a dict sent as a 200 JSON body);
3. else a 500 that says nothing was scripted.

A `Reply` can delay its answer (`delay_s`, slept on the server's loop, so concurrent requests overlap), set a
status and headers (`Retry-After`) and send raw bytes (an invalid body). The server records every request's
JSON body and headers, the arrival time and the most requests it ever held in flight at once.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web


@dataclass(frozen=True)
class Reply:
    body: dict | bytes | None = None  # a dict goes out as JSON; bytes as they are (an invalid body)
    status: int = 200
    headers: dict = field(default_factory=dict)
    delay_s: float = 0.0


def completion(contents: list[str] | str, *, finish_reason: str = "stop", model: str = "test-model",
               reasoning: list[str | None] | None = None, reasoning_key: str = "reasoning_content",
               usage: dict | None = None) -> dict:
    """A chat-completions response body with one choice per content; `reasoning[i]` (when given) goes in
    choice i's message under `reasoning_key`."""
    contents = [contents] if isinstance(contents, str) else contents
    choices = []
    for index, content in enumerate(contents):
        message = {"role": "assistant", "content": content}
        if reasoning is not None and reasoning[index] is not None:
            message[reasoning_key] = reasoning[index]
        choices.append({"index": index, "message": message, "finish_reason": finish_reason})
    words = sum(len(content.split()) for content in contents)
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": choices,
        "usage": usage if usage is not None else
        {"prompt_tokens": 100, "completion_tokens": words, "total_tokens": 100 + words},
    }


class ChatServer:
    """See the module docstring. Use as a context manager, or `start()` / `stop()`."""

    def __init__(self, answer: Callable[[dict], Reply | dict] | None = None, *, port: int = 0) -> None:
        self.answer = answer
        self.requests: list[dict] = []  # JSON bodies, in arrival order
        self.headers: list[dict] = []
        self.arrivals_s: list[float] = []  # time.monotonic() at each arrival
        self.max_in_flight = 0
        self._in_flight = 0
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="chat-server", daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = port  # 0: an ephemeral one, known once started

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *replies: Reply | dict) -> None:
        """Queue replies for the next requests, in order (a dict is a 200 JSON body)."""
        with self._lock:
            self._queue.extend(r if isinstance(r, Reply) else Reply(r) for r in replies)

    def start(self) -> ChatServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=30)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    def __enter__(self) -> ChatServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        with self._lock:
            self.requests.append(body)
            self.headers.append(dict(request.headers))
            self.arrivals_s.append(time.monotonic())
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            reply = self._queue.popleft() if self._queue else None
        try:
            if reply is None:
                reply = self._answer(body)
            if reply.delay_s:
                await asyncio.sleep(reply.delay_s)
            raw = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            return web.Response(body=raw, status=reply.status, headers=reply.headers,
                                content_type="application/json")
        finally:
            with self._lock:
                self._in_flight -= 1

    def _answer(self, body: dict) -> Reply:
        if self.answer is None:
            return Reply({"error": {"message": "nothing scripted for this request"}}, status=500)
        reply = self.answer(body)
        return reply if isinstance(reply, Reply) else Reply(reply)

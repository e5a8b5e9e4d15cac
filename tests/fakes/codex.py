"""A fake ChatGPT Codex backend speaking the real wire: `POST /codex/responses` as SSE.

Each test scripts it: queue `Reply`s (events to send, an HTTP error, a cut connection, a stall),
or install a `responder` that builds the reply from the request, as a real model would. Every
request is recorded with its headers and JSON body.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Event = dict[str, Any]


@dataclass
class Reply:
    events: list[Event] = field(default_factory=list)
    status: int = 200
    body: Any = None
    """For error statuses: a dict (sent as JSON), str or bytes."""
    headers: dict[str, str] = field(default_factory=dict)
    cut_after: int | None = None
    """Drop the connection after sending this many events (no terminal event)."""
    stall_after: int | None = None
    """Stop sending after this many events but keep the connection open."""
    delay: float = 0.0
    """Seconds to wait before each event."""
    chunk_events: int = 1
    """How many events to put in one write."""
    before_headers: float = 0.0
    """Seconds to wait before the response starts (a stall before headers)."""
    raw: list[bytes] | None = None
    """Bytes to send as they are, one write each, instead of `events` (garbage, say)."""
    pings_after: bool = False
    """After the events, send `: ping` comments until the client goes away."""


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


Responder = Callable[[Recorded], Reply]


def sse(event: Event) -> bytes:
    return f"event: {event['type']}\ndata: {json.dumps(event, separators=(',', ':'))}\n\n".encode()


class FakeCodex:
    """The ASGI app; run it with `tests.fakes.server.run_app`."""

    def __init__(self, responder: Responder | None = None) -> None:
        self.replies: deque[Reply] = deque()
        self.responder = responder
        self.requests: list[Recorded] = []
        self.cancelled = 0
        """Streams whose client went away before the last event was sent."""
        self.usage_body: Any = None
        self.accepts: Callable[[str], bool] | None = None
        """When set, a bearer token it rejects gets a 401."""
        self.active = 0
        """Requests being served right now: a client gone for good leaves none behind."""

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        self.active += 1
        try:
            await self._serve(scope, receive, send)
        finally:
            self.active -= 1

    async def _serve(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = body
        recorded = Recorded(scope["method"], scope["path"], headers, parsed)
        self.requests.append(recorded)

        if scope["path"].endswith("/wham/usage") and scope["method"] == "GET":
            await _send_json(send, 200, self.usage_body or {})
            return
        if not scope["path"].endswith("/codex/responses") or scope["method"] != "POST":
            await _send_json(send, 404, {"detail": "Not Found"})
            return
        token = headers.get("authorization", "").removeprefix("Bearer ")
        if self.accepts is not None and not self.accepts(token):
            await _send_json(
                send, 401, {"error": {"message": "token expired", "code": "token_expired"}}
            )
            return
        reply = self.replies.popleft() if self.replies else None
        if reply is None:
            if self.responder is None:
                await _send_json(send, 500, {"detail": "fake codex: no reply scripted"})
                return
            reply = self.responder(recorded)
        await self._reply(reply, send, receive)

    async def _reply(self, reply: Reply, send: Any, receive: Any) -> None:
        if reply.status >= 400:
            await _send_json(send, reply.status, reply.body, reply.headers)
            return
        gone = asyncio.Event()

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.ensure_future(watch())
        try:
            if reply.before_headers:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(gone.wait(), reply.before_headers)
                if gone.is_set():
                    self.cancelled += 1
                    return
            headers = [(b"content-type", b"text/event-stream")]
            headers += [(k.encode(), v.encode()) for k, v in reply.headers.items()]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await self._body(reply, send, gone)
        finally:
            watcher.cancel()

    async def _body(self, reply: Reply, send: Any, gone: asyncio.Event) -> None:
        events = reply.events
        if reply.raw is not None:
            for chunk in reply.raw:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        for start in range(0, len(events), reply.chunk_events):
            if reply.stall_after is not None and start >= reply.stall_after:
                await gone.wait()
            if gone.is_set():
                self.cancelled += 1
                return
            if reply.cut_after is not None and start >= reply.cut_after:
                raise ConnectionAbortedError("fake codex: cut the connection")
            if reply.delay:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(gone.wait(), reply.delay)
                if gone.is_set():
                    self.cancelled += 1
                    return
            chunk = b"".join(sse(e) for e in events[start : start + reply.chunk_events])
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        while reply.pings_after:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(gone.wait(), 0.02)
            if gone.is_set():
                self.cancelled += 1
                return
            await send({"type": "http.response.body", "body": b": ping\n\n", "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _send_json(
    send: Any, status: int, body: Any, headers: dict[str, str] | None = None
) -> None:
    if isinstance(body, bytes):
        data = body
    elif isinstance(body, str):
        data = body.encode()
    else:
        data = json.dumps(body).encode()
    hdrs = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    hdrs += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": hdrs})
    await send({"type": "http.response.body", "body": data})


def upstream_input_tokens(body: dict[str, Any]) -> int:
    """Input tokens as the backend would bill them: o200k over what it received.

    Instructions, every text of every input item, function call names and arguments, tool
    outputs, and each tool definition as its JSON; a few tokens of framing per item.
    """
    from codex2claudecode.tokens import count_text

    total = count_text(body.get("instructions") or "") + 3
    for item in body.get("input", []):
        total += 4
        kind = item.get("type", "message")
        if kind == "message":
            for part in item.get("content") or []:
                total += count_text(part.get("text", "")) if "text" in part else 85
        elif kind == "function_call":
            total += count_text(item["name"]) + count_text(item["arguments"])
        elif kind == "function_call_output":
            output = item["output"]
            texts = [output] if isinstance(output, str) else [p.get("text", "") for p in output]
            total += sum(count_text(t) for t in texts)
        elif kind == "reasoning":
            total += sum(count_text(s["text"]) for s in item.get("summary", []))
    for tool in body.get("tools", []):
        total += count_text(json.dumps(tool, separators=(",", ":")))
    return total

"""A fake Kiro upstream speaking the real wire: `generateAssistantResponse` as binary AWS
event-stream frames (built by `tests.fakes.kiro_stream`), `ListAvailableModels` with paging,
`getUsageLimits` and `/mcp` web search.

Each test scripts it: queue `KiroReply`s (frames to send, an HTTP error, a cut connection, a
stall, a late first byte), or install a `responder`. Every request is recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.codex import Recorded, _send_json
from tests.fakes.kiro_stream import text_answer

DEFAULT_MODELS: list[dict[str, Any]] = [
    {
        "modelId": "claude-sonnet-4.5",
        "modelName": "Claude Sonnet 4.5",
        "tokenLimits": {"maxInputTokens": 200_000, "maxOutputTokens": 64_000},
    },
    {
        "modelId": "claude-opus-4.8",
        "modelName": "Claude Opus 4.8",
        "tokenLimits": {"maxInputTokens": 1_000_000, "maxOutputTokens": 128_000},
        "additionalModelRequestFieldsSchema": {
            "type": "object",
            "properties": {
                "thinking": {"type": "object"},
                "output_config": {
                    "type": "object",
                    "properties": {
                        "effort": {"type": "string", "enum": ["low", "medium", "high", "max"]}
                    },
                },
            },
        },
    },
    {
        "modelId": "claude-haiku-4.5",
        "modelName": "Claude Haiku 4.5",
        "tokenLimits": {"maxInputTokens": 200_000, "maxOutputTokens": 64_000},
    },
]


@dataclass
class KiroReply:
    frames: list[bytes] = field(default_factory=lambda: [text_answer("Hello from Kiro.")])
    """Encoded frames; `tests.fakes.kiro_stream` builds them."""
    status: int = 200
    body: Any = None
    """For error statuses: a dict (sent as JSON), str or bytes."""
    headers: dict[str, str] = field(default_factory=dict)
    cut_after: int | None = None
    """Drop the connection after sending this many frames."""
    stall_after: int | None = None
    """Stop sending after this many frames but keep the connection open."""
    first_byte_delay: float = 0.0
    """Seconds before the first frame (a slow first token)."""
    frame_delay: float = 0.0
    """Seconds between frames, so each arrives in a read of its own."""
    split: int = 0
    """When > 0, send the frames' bytes in pieces of this size (frames split across reads)."""
    before_headers: float = 0.0
    """Seconds to wait before the response starts (a stall before the headers)."""
    then_forever: bytes | None = None
    """After the frames, send these bytes every `forever_every` seconds until the client goes
    (frames that are no progress: `contextUsageEvent`s, unknown events)."""
    forever_every: float = 0.02


KiroResponder = Callable[[Recorded], KiroReply]


class FakeKiro:
    """The ASGI app; run it with `tests.fakes.server.run_app`; point `KIRO_BASE_URL` at it."""

    def __init__(self, responder: KiroResponder | None = None) -> None:
        self.replies: deque[KiroReply] = deque()
        self.responder = responder
        self.requests: list[Recorded] = []
        self.cancelled = 0
        self.models: list[dict[str, Any]] = list(DEFAULT_MODELS)
        self.page_size = 2
        self.usage: Any = default_usage()
        self.usage_status = 200
        self.mcp_results: list[dict[str, Any]] = []
        self.accepts: Callable[[str], bool] | None = None
        """When set, a bearer token it rejects gets `rejects_with` (Kiro's answer to a stale
        token is a 403)."""
        self.rejects_with = 403
        self.active = 0
        """Requests being served right now: a client gone for good leaves none behind."""
        self.frames_sent = 0
        """Scripted frames sent so far, over every answer."""

    def script(self, *replies: KiroReply) -> None:
        self.replies.extend(replies)

    def generations(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/generateAssistantResponse")]

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
        query = scope.get("query_string", b"").decode()
        recorded = Recorded(
            scope["method"], scope["path"] + ("?" + query if query else ""), headers, parsed
        )
        self.requests.append(recorded)
        token = headers.get("authorization", "").removeprefix("Bearer ")
        if self.accepts is not None and not self.accepts(token):
            await _send_json(
                send,
                self.rejects_with,
                {"message": "The bearer token included in the request is invalid."},
            )
            return
        path = scope["path"]
        if path.endswith("/ListAvailableModels"):
            await self._models(send, query)
        elif path.endswith("/getUsageLimits"):
            await _send_json(send, self.usage_status, self.usage)
        elif path.endswith("/mcp"):
            await self._mcp(send, parsed)
        elif path.endswith("/generateAssistantResponse") and scope["method"] == "POST":
            reply = self.replies.popleft() if self.replies else None
            if reply is None:
                reply = self.responder(recorded) if self.responder else KiroReply()
            await self._reply(reply, send, receive)
        else:
            await _send_json(send, 404, {"message": "UnknownOperationException"})

    async def _models(self, send: Any, query: str) -> None:
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        start = int(params.get("nextToken", "0") or 0)
        page = self.models[start : start + self.page_size]
        answer: dict[str, Any] = {"models": page, "defaultModel": {"modelId": "claude-sonnet-4.5"}}
        if start + self.page_size < len(self.models):
            answer["nextToken"] = str(start + self.page_size)
        await _send_json(send, 200, answer)

    async def _mcp(self, send: Any, request: Any) -> None:
        text = json.dumps({"results": self.mcp_results, "totalResults": len(self.mcp_results)})
        await _send_json(
            send,
            200,
            {
                "jsonrpc": "2.0",
                "id": (request or {}).get("id"),
                "result": {"content": [{"type": "text", "text": text}], "isError": False},
            },
        )

    async def _reply(self, reply: KiroReply, send: Any, receive: Any) -> None:
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
            headers = [(b"content-type", b"application/vnd.amazon.eventstream")]
            headers += [(k.encode(), v.encode()) for k, v in reply.headers.items()]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            if reply.first_byte_delay:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(gone.wait(), reply.first_byte_delay)
            for index, frame in enumerate(reply.frames):
                if reply.stall_after is not None and index >= reply.stall_after:
                    await gone.wait()
                if reply.frame_delay and index:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(gone.wait(), reply.frame_delay)
                if gone.is_set():
                    self.cancelled += 1
                    return
                if reply.cut_after is not None and index >= reply.cut_after:
                    raise ConnectionAbortedError("fake kiro: cut the connection")
                pieces = (
                    [frame[i : i + reply.split] for i in range(0, len(frame), reply.split)]
                    if reply.split
                    else [frame]
                )
                for piece in pieces:
                    await send({"type": "http.response.body", "body": piece, "more_body": True})
                self.frames_sent += 1
            while reply.then_forever is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(gone.wait(), reply.forever_every)
                if gone.is_set():
                    self.cancelled += 1
                    return
                body = reply.then_forever
                await send({"type": "http.response.body", "body": body, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            watcher.cancel()


def default_usage() -> dict[str, Any]:
    return {
        "daysUntilReset": 6,
        "nextDateReset": 1_893_456_000,
        "subscriptionInfo": {"subscriptionTitle": "KIRO PRO", "type": "Q_DEVELOPER_STANDALONE_PRO"},
        "usageBreakdownList": [
            {
                "resourceType": "CREDIT",
                "displayName": "Credit",
                "displayNamePlural": "Credits",
                "currentUsage": 120,
                "currentUsageWithPrecision": 120.5,
                "usageLimit": 1000,
                "usageLimitWithPrecision": 1000,
                "currentOverages": 0,
                "overageRate": 0.04,
                "nextDateReset": 1_893_456_000,
            }
        ],
        "userInfo": {"email": "kiro@example.com", "userId": "user-1"},
    }

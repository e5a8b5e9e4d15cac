"""Small ASGI responses the frontends answer with: whole bodies, and event streams.

`EventStreamResponse` sends one body chunk per item of a byte iterator (one socket write per
upstream read), a keep-alive frame after `ping_interval` seconds of silence, and cancels the
producer as soon as the client disconnects, which closes the upstream request behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

from codex2claudecode.tasks import spawn

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

JSON_HEADERS: Headers = [(b"content-type", b"application/json")]
SSE_HEADERS: Headers = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


class BodyResponse:
    """A complete response: status, headers and body bytes."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, body: bytes, headers: Headers | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = JSON_HEADERS if headers is None else headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [*self.headers, (b"content-length", str(len(self.body)).encode())]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


class Outcome:
    """How a stream ended, in words for the console log; the producer sets it."""

    __slots__ = ("text",)

    def __init__(self) -> None:
        self.text = ""


class EventStreamResponse:
    """Streams `first`, then every chunk of `rest`, as a 200 `text/event-stream` response.

    How it ended goes to `scope["state"]["outcome"]` for the request log: the producer's
    `outcome`, or `client cancelled` when the client went away first.
    """

    def __init__(
        self,
        first: bytes,
        rest: AsyncIterator[bytes],
        *,
        headers: Headers,
        ping: bytes,
        ping_interval: float,
        outcome: Outcome | None = None,
        stop_frame: Callable[[], bytes] | None = None,
    ) -> None:
        """
        Args:
            stop_frame: renders the dialect's in-band error, sent when the server stops the
                response (its graceful shutdown ran out) so that the client sees an error,
                not a cut.
        """
        self._first = first
        self._stop_frame = stop_frame
        self._outcome = outcome or Outcome()
        self._rest = rest
        self._headers = headers
        self._ping = ping
        self._ping_interval = ping_interval
        self._lock = asyncio.Lock()
        self._last_send = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._stop_frame is not None:
            # For the server's shutdown (`server.exchange`): it ends the stream with this.
            scope.setdefault("state", {})["stop_frame"] = self._stop_frame
        await send({"type": "http.response.start", "status": 200, "headers": self._headers})
        self._last_send = time.monotonic()
        pump = spawn(self._pump(send), name="stream-pump")
        watcher = spawn(_cancel_on_disconnect(receive, pump), name="stream-disconnect-watch")
        heartbeat = (
            spawn(self._heartbeat(send), name="stream-heartbeat")
            if self._ping_interval > 0
            else None
        )
        try:
            await asyncio.wait({pump})
        finally:
            ended = pump.done() and not pump.cancelled() and pump.exception() is None
            pump.cancel()
            watcher.cancel()
            if heartbeat is not None:
                heartbeat.cancel()
            await _aclose(self._rest)
            # Not to its end: the client went away (or the server is stopping).
            outcome = (self._outcome.text or "completed") if ended else "client cancelled"
            scope.setdefault("state", {})["outcome"] = outcome
        if not pump.cancelled():
            pump.result()  # re-raise what broke the pump; a client disconnect is not an error

    async def _pump(self, send: Send) -> None:
        await self._send(send, self._first)
        async for chunk in self._rest:
            if chunk:
                await self._send(send, chunk)
        async with self._lock:
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _send(self, send: Send, chunk: bytes) -> None:
        async with self._lock:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            self._last_send = time.monotonic()

    async def _heartbeat(self, send: Send) -> None:
        interval = self._ping_interval
        while True:
            idle = time.monotonic() - self._last_send
            if idle < interval:
                await asyncio.sleep(interval - idle)
                continue
            await self._send(send, self._ping)


async def _cancel_on_disconnect(receive: Receive, task: asyncio.Task[None]) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            task.cancel()
            return


async def _aclose(iterator: AsyncIterator[bytes]) -> None:
    close = getattr(iterator, "aclose", None)
    if close is not None:
        with contextlib.suppress(Exception):
            await close()

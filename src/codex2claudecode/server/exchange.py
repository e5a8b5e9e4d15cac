"""One request's body and life: read the body under a size cap, then run the handler while
watching for the client to leave.

The body is read here, before any handler, so that a body over the cap is refused before it is
read (by its Content-Length) or as soon as it grows past the cap (chunked). Once the client is
gone, the handler is cancelled wherever it waits: reading upstream before the first event,
accumulating a non-streaming answer, or streaming. Cancelling it closes the upstream request
behind it.

The server's protocol (`server.protocol`) reports a lost connection straight to the request
through the scope extension `DISCONNECT_HOOK`, which costs nothing per request; under any other
ASGI server a task awaits `receive()` for `http.disconnect` instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from codex2claudecode import errors
from codex2claudecode.asgi import Message, Receive, Scope, Send
from codex2claudecode.tasks import spawn

App = Callable[[Scope, Receive, Send], Awaitable[None]]

DISCONNECT_HOOK = "codex2claudecode.disconnect"
"""A scope extension: its `watch(callback)` has the server call `callback()` once if the client
disconnects before the response is complete, and keep the connection read meanwhile (as a
pending `receive()` would) so that it notices."""

_STOP_SEND_SECONDS = 1.0
"""How long a stream's last frames may take at shutdown; a stuck client gets a cut."""


@dataclass(slots=True)
class Exchange:
    """What the middleware tracks of one request while it runs."""

    status: int = 0
    complete: bool = False
    """The last body chunk of the response has been handed to the server."""
    disconnected: bool = False
    cancelled_on_disconnect: bool = False
    task: asyncio.Task[Any] | None = None
    """The request's task while `run_watched` runs it."""
    left: asyncio.Event | None = None
    """Set when the client disconnects; made only for a handler that waits for it."""

    def client_left(self) -> None:
        """The client has gone: cancel the request unless its response is complete."""
        self.disconnected = True
        if self.left is not None:
            self.left.set()
        if self.task is not None and not self.complete:
            self.cancelled_on_disconnect = True
            self.task.cancel()

    async def wait_left(self) -> None:
        if not self.disconnected:
            if self.left is None:
                self.left = asyncio.Event()
            await self.left.wait()


async def read_body(receive: Receive, content_length: bytes | None, limit: int) -> bytes | None:
    """The whole request body; None if the client disconnected while sending it.

    Raises:
        errors.RequestTooLarge: the body is (or announces itself as) larger than `limit`.
    """
    if content_length is not None:
        try:
            announced = int(content_length)
        except ValueError:
            announced = 0  # the HTTP parser has already refused a malformed length
        if announced > limit:
            raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def run_watched(
    app: App,
    scope: Scope,
    receive: Receive,
    send: Send,
    body: bytes,
    exchange: Exchange,
    stopped: Callable[[], Awaitable[None]],
) -> None:
    """Run `app` on the already-read `body`; cancel it if the client disconnects first.

    Args:
        stopped: answers the client when the server stops the request (its graceful shutdown
            ran out) before the response began.
    """
    task = asyncio.current_task()
    assert task is not None
    exchange.task = task
    extensions = scope.get("extensions")
    hook = extensions.get(DISCONNECT_HOOK) if extensions else None
    if hook is not None:
        watcher = None
        hook["watch"](exchange.client_left)
    else:
        watcher = spawn(_watch(receive, exchange), name="request-disconnect-watch")
    pending: list[bytes] = [body]

    async def replay() -> Message:
        if pending:
            return {"type": "http.request", "body": pending.pop(), "more_body": False}
        await exchange.wait_left()
        return {"type": "http.disconnect"}

    try:
        await app(scope, replay, send)
    except asyncio.CancelledError:
        # Only ours (the client left) or the server's (it stops) end a request; both end it
        # quietly. A cancellation from anywhere else is passed on.
        if task.uncancel() != 0:
            raise
        if not exchange.cancelled_on_disconnect:
            await _stop(scope, exchange, stopped, send)
    finally:
        exchange.task = None
        if watcher is not None:
            watcher.cancel()


async def _stop(
    scope: Scope, exchange: Exchange, stopped: Callable[[], Awaitable[None]], send: Send
) -> None:
    """The server is stopping and did not wait for this request: say so to a client that has
    had no answer yet; a stream under way ends with its dialect's error event when it left
    one (`asgi.EventStreamResponse`), else it is left incomplete, so the client sees a cut
    rather than an ending that looks normal."""
    state = scope.setdefault("state", {})
    if exchange.disconnected or exchange.complete:
        return  # nobody to tell, or nothing left to tell
    if exchange.status == 0:
        await stopped()
        return
    stop_frame = state.get("stop_frame")
    if stop_frame is not None:
        await _end_stream(send, stop_frame(), state)
    else:
        state["outcome"] = "cut: the gateway stopped"


async def _end_stream(send: Send, stop_frame: bytes, state: dict[str, Any]) -> None:
    """Send a begun stream's last frames: its error event, then the end of the body."""
    try:
        async with asyncio.timeout(_STOP_SEND_SECONDS):
            await send({"type": "http.response.body", "body": stop_frame, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    except (TimeoutError, OSError, RuntimeError):
        state["outcome"] = "cut: the gateway stopped"
        return
    state["outcome"] = "ended by shutdown: error event sent"


async def _watch(receive: Receive, exchange: Exchange) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            exchange.client_left()
            return


def _too_large(limit: int) -> errors.RequestTooLarge:
    return errors.RequestTooLarge(
        f"request body too large: the limit is {limit} bytes (MAX_REQUEST_BODY_BYTES); "
        "shorten the conversation, or send large files by reference"
    )

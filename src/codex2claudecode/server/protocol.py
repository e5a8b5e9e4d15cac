"""uvicorn's httptools protocol with the guards it lacks against slow and greedy clients.

uvicorn arms no timer until a first response is complete, and httptools buffers a header of any
size (by repeated concatenation), so a client sending a byte a second, or one endless header,
holds a connection and its memory for ever; with enough of them the process runs out of file
descriptors and stops answering everyone. Here each connection must deliver a whole request
head (request line and headers) within `head_timeout` seconds of opening or of the head's first
byte, the head may be at most `max_head_bytes`, and at most `max_connections` are open at once.
These refusals happen before there is a request to answer in a client's dialect, so they are
plain-text HTTP answers, as uvicorn's own 400 for a malformed request is.

The head timer is armed once and moved lazily (a timestamp per head, checked when it fires),
not armed and cancelled for every request. The protocol also tells a running request when its
client has gone (`exchange.DISCONNECT_HOOK`), so that no task per request waits for it.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from codex2claudecode.server.exchange import DISCONNECT_HOOK

DEFAULT_HEAD_TIMEOUT = 10.0
DEFAULT_MAX_HEAD_BYTES = 64 * 1024
LINGER_SECONDS = 2.0
"""How long a refused client may go on sending (discarded) before the connection is closed:
closing at once, with its bytes unread, would make the kernel reset the connection and the
client lose the answer."""
_FDS_PER_CONNECTION = 2  # the client's socket, and the upstream one its request opens
_FDS_RESERVED = 64  # log files, the request log, token refreshes, the listener itself


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    max_connections: int
    head_timeout: float = DEFAULT_HEAD_TIMEOUT
    """Seconds a request head may take to arrive, from the connection or from its first byte."""
    max_head_bytes: int = DEFAULT_MAX_HEAD_BYTES


def default_max_connections() -> int:
    """As many connections as the open-file limit leaves room for, at most 1024."""
    if sys.platform == "win32":
        return 1024
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1024
    return max(8, min(1024, (soft - _FDS_RESERVED) // _FDS_PER_CONNECTION))


def guarded_protocol(limits: ConnectionLimits) -> type[HttpToolsProtocol]:
    """The protocol class to hand uvicorn (`Config(http=...)`), bound to `limits`."""
    return type("GuardedHttpToolsProtocol", (_Guarded,), {"limits": limits})


class _Guarded(HttpToolsProtocol):
    limits: ClassVar[ConnectionLimits]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True
        self._head_bytes = 0
        self._head_since: float | None = None
        """When the head being read began (its first byte, or the connection's opening)."""
        self._head_timer: asyncio.TimerHandle | None = None
        self._lingering = False
        self._lost = False
        self._on_lost: Callable[[], None] | None = None
        """What to call if the client disconnects before the running request is answered."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        if len(self.connections) > self.limits.max_connections:
            self._refuse(
                b"503 Service Unavailable",
                "too many open connections to the gateway; retry shortly "
                "(MAX_CONNECTIONS raises the limit)",
            )
            return
        self._head_since = self.loop.time()
        self._arm_head_timer(self.limits.head_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)
        self._lost = True
        on_lost, self._on_lost = self._on_lost, None
        if on_lost is not None:  # set only until the running request's response is complete
            on_lost()

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return
        if self._in_head:
            self._head_bytes += len(data)
            if self._head_since is None:
                self._head_since = self.loop.time()
            if self._head_timer is None:
                self._arm_head_timer(self.limits.head_timeout)
        super().data_received(data)
        # Checked after parsing: the read that completes a head may also carry its body.
        if self._in_head and self._head_bytes > self.limits.max_head_bytes:
            self._refuse(
                b"431 Request Header Fields Too Large",
                f"request line and headers exceed {self.limits.max_head_bytes} bytes",
            )

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_since = None  # the timer stays armed: when it fires, it finds no head
        super().on_headers_complete()
        # A bound method, not a partial holding the cycle: the cycle holds the scope, and a
        # reference cycle would leave every request's objects to the garbage collector.
        self.scope["extensions"] = {DISCONNECT_HOOK: {"watch": self._watch}}

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True
        self._head_bytes = 0

    def on_response_complete(self) -> None:
        self._on_lost = None
        super().on_response_complete()

    def _watch(self, callback: Callable[[], None]) -> None:
        """Called by the running request: one request runs at a time on a connection (uvicorn
        holds pipelined ones back until the response before them is complete)."""
        if self._lost:
            callback()
            return
        self._on_lost = callback
        # As `receive()` does: a connection whose reading is paused (a large body) would not
        # see its client close.
        self.flow.resume_reading()

    def _arm_head_timer(self, delay: float) -> None:
        self._head_timer = self.loop.call_later(delay, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        since = self._head_since
        if self.transport.is_closing() or not self._in_head or since is None:
            return  # no head under way: the next one's first byte arms the timer again
        left = since + self.limits.head_timeout - self.loop.time()
        if left > 0:  # a later head than the one the timer was armed for
            self._arm_head_timer(left)
            return
        if self._responding():
            self._head_since = None
            return  # a response is under way; its end arms uvicorn's keep-alive timer
        if self._head_bytes:
            self._refuse(
                b"408 Request Timeout",
                f"the request head did not arrive within {self.limits.head_timeout:g} seconds",
            )
        else:
            self.transport.close()  # an idle connection: nothing to answer

    def _responding(self) -> bool:
        cycle: RequestResponseCycle | None = self.cycle  # None before the first request
        return cycle is not None and not cycle.response_complete

    def _refuse(self, status: bytes, message: str) -> None:
        self._cancel_head_timer()
        if self.transport.is_closing():
            return
        if self._responding():  # a pipelined head: the answer under way cannot be interrupted
            self.transport.close()
            return
        body = message.encode()
        self.transport.write(
            b"HTTP/1.1 " + status + b"\r\n"
            b"content-type: text/plain; charset=utf-8\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n"
            b"connection: close\r\n\r\n" + body
        )
        self._lingering = True
        self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)

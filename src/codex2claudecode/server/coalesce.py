"""One socket write per event-loop turn: the response head joins the body's first chunk.

uvicorn writes a response's status line and headers as soon as the app sends
`http.response.start`, and each body chunk on its own, so a small JSON answer costs two
`send()` calls, the largest single cost of a small request in the profile (issue 10). Here
the connection's transport keeps what is written during one turn of the loop and sends it as
one write at the start of the next; closing or half-closing sends what is kept first.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def coalescing(protocol: type[HttpToolsProtocol]) -> type[HttpToolsProtocol]:
    """`protocol` writing through a `CoalescingTransport`."""

    class Coalescing(protocol):  # type: ignore[misc, valid-type]
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            # uvloop's transports are not asyncio.Transport subclasses, only alike.
            writer = cast(asyncio.Transport, transport)
            super().connection_made(CoalescingTransport(writer, self.loop))

    Coalescing.__name__ = Coalescing.__qualname__ = f"Coalescing{protocol.__name__}"
    return Coalescing


class CoalescingTransport:
    """Wraps a transport: writes made in one loop turn go out as one write in the next."""

    __slots__ = ("_kept", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._kept: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._kept:
            self._loop.call_soon(self.flush)
        self._kept.append(bytes(data))

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        """Send what is kept, as one write."""
        kept = self._kept
        if not kept:
            return
        self._kept = []
        if not self._transport.is_closing():
            self._transport.write(kept[0] if len(kept) == 1 else b"".join(kept))

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._kept))

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._kept = []
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        # Everything else (is_closing, get_extra_info, pause_reading, ...) is the transport's.
        return getattr(self._transport, name)

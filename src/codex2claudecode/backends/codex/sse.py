"""Incremental Server-Sent Events parser over raw bytes: upstream reads in, `(event, data)` out.

Bytes, not text: the data is handed to orjson as is, and a UTF-8 character split across reads
needs no decoder state. Any of LF, CRLF and CR ends a line (the SSE grammar).
"""

from __future__ import annotations

SSEMessage = tuple[bytes, bytes]
"""(event name, data): the name is b"" when the event had no `event:` line."""


class SSEParser:
    """Feed reads in order; each call returns the events completed by that read."""

    __slots__ = ("_buf", "_cr")

    def __init__(self) -> None:
        self._buf = b""
        self._cr = False
        """The last read ended in CR: it may be half of a CRLF, so it waits for the next byte."""

    def feed(self, chunk: bytes) -> list[SSEMessage]:
        if self._cr or b"\r" in chunk:
            chunk = self._normalize(chunk)
        buf = self._buf
        # A separator can straddle the old buffer and the new chunk by one byte at most.
        start = len(buf) - 1 if buf else 0
        buf = buf + chunk if buf else chunk
        end = buf.find(b"\n\n", start)
        if end < 0:
            self._buf = buf
            return []
        out: list[SSEMessage] = []
        pos = 0
        while end >= 0:
            _parse_block(buf[pos:end], out)
            pos = end + 2
            end = buf.find(b"\n\n", pos)
        self._buf = buf[pos:]
        return out

    def flush(self) -> list[SSEMessage]:
        """The events left at the end of the stream, including an unterminated last one."""
        buf, self._buf = self._buf, b""
        if self._cr:
            buf += b"\n"
            self._cr = False
        out: list[SSEMessage] = []
        for block in buf.split(b"\n\n"):
            _parse_block(block, out)
        return out

    def _normalize(self, chunk: bytes) -> bytes:
        if self._cr:
            chunk = b"\r" + chunk
        self._cr = chunk.endswith(b"\r")
        if self._cr:
            chunk = chunk[:-1]
        return chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _parse_block(block: bytes, out: list[SSEMessage]) -> None:
    # Fast path: exactly `event: X\ndata: Y`, which is every event the Codex backend sends.
    if block.startswith(b"event: "):
        nl = block.find(b"\n")
        if nl > 0 and block.startswith(b"data: ", nl + 1) and block.find(b"\n", nl + 1) < 0:
            out.append((block[7:nl], block[nl + 7 :]))
            return
    name = b""
    data: list[bytes] = []
    for line in block.split(b"\n"):
        if not line or line[0] == 0x3A:  # blank, or a `:` comment
            continue
        field, _, value = line.partition(b":")
        if value[:1] == b" ":
            value = value[1:]
        if field == b"data":
            data.append(value)
        elif field == b"event":
            name = value
    if data:
        out.append((name, b"\n".join(data)))

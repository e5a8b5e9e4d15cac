"""Incremental Server-Sent Events parser over raw bytes: upstream reads in, `(event, data)` out.

Bytes, not text: the data is handed to orjson as is, and a UTF-8 character split across reads
needs no decoder state. Any of LF, CRLF and CR ends a line (the SSE grammar). An unfinished
event is kept as a list of reads, joined once when it completes (linear, not quadratic, in its
size), and may grow to `max_event_bytes` at most.
"""

from __future__ import annotations

import re

from codex2claudecode import errors

SSEMessage = tuple[bytes, bytes]
"""(event name, data): the name is b"" when the event had no `event:` line."""

MAX_EVENT_BYTES = 64 * 1024 * 1024
"""Twice the largest request body we accept: the biggest event, `response.created`, echoes the
request's instructions and tools."""


_EVENT_DATA = re.compile(rb"event: ([^\n]*+)\ndata: ([^\n]*+)\n\n")
"""A whole event of exactly `event: X\ndata: Y`, the shape of every event the Codex backend
sends. Possessive (`*+`): a line never ends inside `[^\n]`, so backtracking would only waste
time."""
_ONLY_EVENT_DATA = re.compile(rb"(?:event: [^\n]*+\ndata: [^\n]*+\n\n)++")
"""A read made of nothing else: then `_EVENT_DATA.findall` cuts it in C, about half the cost
of a Python loop over its blocks once it holds a few events (on CPython 3.11 even the search
for b"\n\n" costs more than these two passes)."""

_TEXT_DELTA = b"response.output_text.delta"
_TEXT_DELTA_HEAD = b"event: " + _TEXT_DELTA + b"\ndata: "
_TEXT_DELTA_DATA = len(_TEXT_DELTA_HEAD)


class SSEParser:
    """Feed reads in order; each call returns the events completed by that read."""

    __slots__ = ("_cr", "_max", "_pending", "_pending_size")

    def __init__(self, max_event_bytes: int = MAX_EVENT_BYTES) -> None:
        self._pending: list[bytes] = []
        """The reads of the unfinished event; none holds a separator."""
        self._pending_size = 0
        self._max = max_event_bytes
        self._cr = False
        """The last read ended in CR: it may be half of a CRLF, so it waits for the next byte."""

    def feed(self, chunk: bytes) -> list[SSEMessage]:
        """The events completed by `chunk`.

        Raises:
            errors.UpstreamFailed: an event grew past `max_event_bytes`.
        """
        if self._cr or b"\r" in chunk:
            chunk = self._normalize(chunk)
        if self._pending:
            # A separator can straddle the old reads and the new one by one byte at most.
            straddles = chunk[:1] == b"\n" and self._pending[-1][-1:] == b"\n"
            if not straddles and b"\n\n" not in chunk:
                self._keep(chunk)
                return []
            chunk = b"".join((*self._pending, chunk))
            self._pending.clear()
            self._pending_size = 0
        if chunk.endswith(b"\n\n") and _ONLY_EVENT_DATA.fullmatch(chunk):
            return _EVENT_DATA.findall(chunk)  # most reads: the upstream writes whole events
        blocks = chunk.split(b"\n\n")
        self._keep(blocks.pop())
        out: list[SSEMessage] = []
        for block in blocks:
            # The bulk of every answer, cut without `_parse_block` (which gives the same).
            if block.startswith(_TEXT_DELTA_HEAD) and block.find(b"\n", _TEXT_DELTA_DATA) < 0:
                out.append((_TEXT_DELTA, block[_TEXT_DELTA_DATA:]))
            else:
                _parse_block(block, out)
        return out

    def _keep(self, chunk: bytes) -> None:
        if not chunk:
            return
        self._pending_size += len(chunk)
        if self._pending_size > self._max:
            self._pending.clear()
            raise errors.UpstreamFailed(
                f"the upstream sent an event larger than {self._max} bytes; it was dropped"
            )
        self._pending.append(chunk)

    def flush(self) -> list[SSEMessage]:
        """The events left at the end of the stream, including an unterminated last one."""
        buf = b"".join(self._pending)
        self._pending.clear()
        self._pending_size = 0
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

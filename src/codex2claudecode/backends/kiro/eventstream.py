"""Incremental AWS event-stream parser: upstream reads in, CRC-checked `Frame`s out.

The wire format (`application/vnd.amazon.eventstream`, protocols §5d), all integers big-endian:
total length u32, headers length u32, CRC32 of those 8 bytes, headers, payload, then the CRC32
of everything before it. Both checksums are verified; a corrupt or oversized frame raises
`errors.UpstreamFailed`, never yields garbage.
"""

from __future__ import annotations

import struct
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeAlias

from codex2claudecode import errors

MAX_FRAME_BYTES = 16 * 1024 * 1024
"""Larger frames are refused as corrupt (kiro.rs uses the same cap)."""

_PRELUDE = struct.Struct(">III")
_CRC = struct.Struct(">I")
_PRELUDE_BYTES = 12
_OVERHEAD = 16
"""Prelude plus the trailing message CRC."""
_BLOCK_CACHE_SIZE = 64
_CACHED_BLOCK_BYTES = 512
"""Header blocks parsed once per stream: Kiro's frames of one event type share theirs."""


@dataclass(frozen=True, slots=True)
class Timestamp:
    """A header of type timestamp: milliseconds since the Unix epoch (any int64)."""

    millis: int


HeaderValue: TypeAlias = bool | int | bytes | str | Timestamp | uuid.UUID
"""byte, short, int and long headers are all `int`; their wire width is not kept."""


@dataclass(frozen=True, slots=True)
class Frame:
    headers: Mapping[str, HeaderValue]
    payload: bytes


class EventStreamParser:
    """Feed reads in order; each call returns the frames completed by that read.

    Raises `errors.UpstreamFailed` on a checksum mismatch, impossible lengths, a frame larger
    than `max_frame_bytes`, a malformed header block, or (in `flush`) a stream cut mid-frame.
    """

    __slots__ = ("_blocks", "_buf", "_consumed", "_max")

    def __init__(self, *, max_frame_bytes: int = MAX_FRAME_BYTES) -> None:
        self._buf = bytearray()
        self._consumed = 0
        """Stream offset of the first byte of `_buf`, for error messages."""
        self._max = max_frame_bytes
        self._blocks: dict[bytes, Mapping[str, HeaderValue]] = {}

    def feed(self, chunk: bytes) -> list[Frame]:
        if self._buf:
            self._buf += chunk
            data: bytes | bytearray = self._buf
        else:
            data = chunk  # the common case: parse the read in place, copy only its tail
        out: list[Frame] = []
        with memoryview(data) as view:
            pos = self._parse(view, out)
        if data is self._buf:
            del self._buf[:pos]  # O(1) for a bytearray prefix
        elif pos < len(chunk):
            self._buf += chunk[pos:]
        self._consumed += pos
        return out

    @property
    def buffered(self) -> int:
        """Bytes held of a frame not complete yet."""
        return len(self._buf)

    def flush(self) -> list[Frame]:
        """Call at the end of the stream: every complete frame was returned by `feed` already."""
        if self._buf:
            left = len(self._buf)
            raise errors.UpstreamFailed(
                f"the upstream event stream ended in the middle of a frame "
                f"({left} bytes of an incomplete frame at byte {self._consumed})"
            )
        return []

    def _parse(self, view: memoryview, out: list[Frame]) -> int:
        pos, end = 0, len(view)
        while end - pos >= _PRELUDE_BYTES:
            total, headers_len, prelude_crc = _PRELUDE.unpack_from(view, pos)
            if zlib.crc32(view[pos : pos + 8]) != prelude_crc:
                raise self._corrupt(pos, "its prelude checksum does not match")
            if total < _OVERHEAD or headers_len > total - _OVERHEAD:
                raise self._corrupt(
                    pos, f"impossible lengths (total {total}, headers {headers_len})"
                )
            if total > self._max:
                raise self._corrupt(pos, f"it is {total} bytes, over the {self._max}-byte limit")
            if end - pos < total:
                break
            frame_end = pos + total
            # CRC32 continues from the prelude's: the message checksum covers all 12 prelude bytes.
            crc = zlib.crc32(view[pos + 8 : frame_end - 4], prelude_crc)
            if crc != _CRC.unpack_from(view, frame_end - 4)[0]:
                raise self._corrupt(pos, "its message checksum does not match")
            headers_start = pos + _PRELUDE_BYTES
            payload_start = headers_start + headers_len
            block = bytes(view[headers_start:payload_start])
            headers = self._blocks.get(block)
            if headers is None:
                try:
                    headers = MappingProxyType(_parse_headers(memoryview(block)))
                except ValueError as exc:
                    raise self._corrupt(pos, f"its header block is malformed: {exc}") from exc
                if len(block) <= _CACHED_BLOCK_BYTES and len(self._blocks) < _BLOCK_CACHE_SIZE:
                    self._blocks[block] = headers
            out.append(Frame(headers, bytes(view[payload_start : frame_end - 4])))
            pos = frame_end
        return pos

    def _corrupt(self, pos: int, why: str) -> errors.UpstreamFailed:
        return errors.UpstreamFailed(
            f"the upstream sent a corrupt event-stream frame at byte {self._consumed + pos}: {why}"
        )


def _parse_headers(block: memoryview) -> dict[str, HeaderValue]:
    """The headers of one frame; raises ValueError for anything malformed."""
    headers: dict[str, HeaderValue] = {}
    pos, end = 0, len(block)
    while pos < end:
        name_len = block[pos]
        raw_name = bytes(_exact(block, pos + 1, name_len))
        pos += 1 + name_len
        if not raw_name:
            raise ValueError("a header has an empty name")
        name = raw_name.decode("utf-8")  # UnicodeDecodeError is a ValueError
        kind = _exact(block, pos, 1)[0]
        value, pos = _header_value(block, kind, pos + 1)
        headers[name] = value
    return headers


def _header_value(block: memoryview, kind: int, pos: int) -> tuple[HeaderValue, int]:
    match kind:
        case 7:  # string
            size = int.from_bytes(_exact(block, pos, 2), "big")
            return bytes(_exact(block, pos + 2, size)).decode("utf-8"), pos + 2 + size
        case 0:
            return True, pos
        case 1:
            return False, pos
        case 2 | 3 | 4 | 5:  # byte, short, int, long: all signed
            width = 1 << (kind - 2)
            return int.from_bytes(_exact(block, pos, width), "big", signed=True), pos + width
        case 6:  # bytes
            size = int.from_bytes(_exact(block, pos, 2), "big")
            return bytes(_exact(block, pos + 2, size)), pos + 2 + size
        case 8:
            millis = int.from_bytes(_exact(block, pos, 8), "big", signed=True)
            return Timestamp(millis), pos + 8
        case 9:
            return uuid.UUID(bytes=bytes(_exact(block, pos, 16))), pos + 16
        case _:
            raise ValueError(f"unknown header value type {kind}")


def _exact(block: memoryview, pos: int, size: int) -> memoryview:
    part = block[pos : pos + size]
    if len(part) != size:
        raise ValueError("a header runs past the end of the header block")
    return part


def frames_text(data: bytes) -> str:
    """Event-stream bytes as text for the request log: one line per frame, its event type
    (or exception or message type) then its payload; a cut or corrupt tail is said, not shown.

    The log keeps the start of a stream, so `data` may end inside a frame.
    """
    parser = EventStreamParser()
    try:
        frames = parser.feed(data)
    except errors.UpstreamFailed as exc:
        return f"(not an event stream the log can show: {exc.message})"
    lines = [f"{_frame_kind(frame)} {frame.payload.decode('utf-8', 'replace')}" for frame in frames]
    if parser.buffered:
        lines.append(f"(and {parser.buffered} bytes of a frame the log cut off)")
    return "\n".join(lines)


def _frame_kind(frame: Frame) -> str:
    for name in (":event-type", ":exception-type", ":message-type"):
        value = frame.headers.get(name)
        if isinstance(value, str):
            return value
    return "frame"

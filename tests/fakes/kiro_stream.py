"""Kiro's answer as real AWS event-stream bytes: frames with both CRC32s, and Kiro's events.

Every builder returns bytes, so a stream is their concatenation and a fault is a byte edit:

    body = assistant_text("Hel") + assistant_text("lo") + metadata("END_TURN", usage(12, 3))
    body = text_answer("Hello") ; cut = body[:-5] ; bad = flip_byte(body, 20)

`encode_frame` writes any header type (ints as int32/int64 by size unless given as `Typed`).
"""

from __future__ import annotations

import struct
import uuid
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from codex2claudecode.backends.kiro.eventstream import HeaderValue, Timestamp

STRING, BYTES, TIMESTAMP, UUID = 7, 6, 8, 9
BOOL_TRUE, BOOL_FALSE, BYTE, SHORT, INT, LONG = 0, 1, 2, 3, 4, 5


@dataclass(frozen=True)
class Typed:
    """A header value with an explicit wire type (for byte/short/int/long)."""

    kind: int
    value: HeaderValue


# --------------------------------------------------------------------------- framing


def encode_frame(headers: Mapping[str, HeaderValue | Typed], payload: bytes = b"") -> bytes:
    """One event-stream message with correct prelude and message CRC32s."""
    block = b"".join(encode_header(name, value) for name, value in headers.items())
    total = 16 + len(block) + len(payload)
    prelude = struct.pack(">II", total, len(block))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + block + payload
    return body + struct.pack(">I", zlib.crc32(body))


def encode_header(name: str, value: HeaderValue | Typed) -> bytes:
    raw_name = name.encode()
    kind, data = _header_value(value)
    return bytes([len(raw_name)]) + raw_name + bytes([kind]) + data


def _header_value(value: HeaderValue | Typed) -> tuple[int, bytes]:
    if isinstance(value, Typed):
        if value.kind in (BYTE, SHORT, INT, LONG):
            assert isinstance(value.value, int)
            width = 1 << (value.kind - 2)
            return value.kind, value.value.to_bytes(width, "big", signed=True)
        return _header_value(value.value)
    match value:
        case True:
            return BOOL_TRUE, b""
        case False:
            return BOOL_FALSE, b""
        case int():
            if -(2**31) <= value < 2**31:
                return INT, value.to_bytes(4, "big", signed=True)
            return LONG, value.to_bytes(8, "big", signed=True)
        case str():
            raw = value.encode()
            return STRING, len(raw).to_bytes(2, "big") + raw
        case bytes():
            return BYTES, len(value).to_bytes(2, "big") + value
        case Timestamp(millis=millis):
            return TIMESTAMP, millis.to_bytes(8, "big", signed=True)
        case uuid.UUID():
            return UUID, value.bytes
    raise TypeError(f"no event-stream header type for {value!r}")


def flip_byte(data: bytes, index: int, mask: int = 0x01) -> bytes:
    """`data` with the bits of `mask` flipped in byte `index`."""
    return data[:index] + bytes([data[index] ^ mask]) + data[index + 1 :]


# --------------------------------------------------------------------------- Kiro events


def event(event_type: str, payload: Mapping[str, Any]) -> bytes:
    """A Kiro event frame, headers as Kiro sends them."""
    headers = {
        ":event-type": event_type,
        ":content-type": "application/json",
        ":message-type": "event",
    }
    return encode_frame(headers, orjson.dumps(payload))


def assistant_text(content: str) -> bytes:
    return event("assistantResponseEvent", {"content": content})


def code_text(content: str) -> bytes:
    return event("codeEvent", {"content": content})


def tool_use(
    tool_use_id: str, name: str, input: str | Mapping[str, Any] | None = None, *, stop: bool = False
) -> bytes:
    """One `toolUseEvent`: an input fragment (string) or a whole input (object), maybe `stop`."""
    payload: dict[str, Any] = {"name": name, "toolUseId": tool_use_id}
    if input is not None:
        payload["input"] = input
    if stop:
        payload["stop"] = True
    return event("toolUseEvent", payload)


def tool_call(
    tool_use_id: str, name: str, arguments: str, *, pieces: int = 3, stop: bool = True
) -> bytes:
    """A tool call as Kiro streams it: `arguments` cut into `pieces` fragments, then `stop`."""
    step = max(1, -(-len(arguments) // pieces))
    frames = [
        tool_use(tool_use_id, name, arguments[i : i + step]) for i in range(0, len(arguments), step)
    ]
    if stop:
        frames.append(tool_use(tool_use_id, name, stop=True))
    return b"".join(frames)


def reasoning(
    text: str | None = None, *, signature: str | None = None, redacted: str | None = None
) -> bytes:
    payload: dict[str, Any] = {}
    if text is not None:
        payload["text"] = text
    if signature is not None:
        payload["signature"] = signature
    if redacted is not None:
        payload["redactedContent"] = redacted
    return event("reasoningContentEvent", payload)


def usage(
    uncached: int = 12,
    output: int = 5,
    *,
    cache_read: int = 0,
    cache_write: int = 0,
    context_percentage: float | None = None,
) -> dict[str, Any]:
    """A `metadataEvent.tokenUsage` object."""
    token_usage: dict[str, Any] = {
        "uncachedInputTokens": uncached,
        "cacheReadInputTokens": cache_read,
        "cacheWriteInputTokens": cache_write,
        "outputTokens": output,
        "totalTokens": uncached + cache_read + cache_write + output,
    }
    if context_percentage is not None:
        token_usage["contextUsagePercentage"] = context_percentage
    return token_usage


def metadata(
    stop_reason: str | None = None,
    token_usage: Mapping[str, Any] | None = None,
    *,
    refusal: str | None = None,
) -> bytes:
    payload: dict[str, Any] = {}
    if token_usage is not None:
        payload["tokenUsage"] = token_usage
    if stop_reason is not None:
        payload["stopReason"] = stop_reason
    if refusal is not None:
        payload["stopDetails"] = {"refusal": refusal}
    return event("metadataEvent", payload)


def metering(credits: float) -> bytes:
    return event("meteringEvent", {"unit": "credit", "unitPlural": "credits", "usage": credits})


def context_usage(percentage: float) -> bytes:
    return event("contextUsageEvent", {"contextUsagePercentage": percentage})


def message_metadata(conversation_id: str = "conv-1") -> bytes:
    return event("messageMetadataEvent", {"conversationId": conversation_id})


def error_frame(code: str, message: str) -> bytes:
    """A `:message-type: error` frame (AWS puts the code and message in headers)."""
    headers = {":message-type": "error", ":error-code": code, ":error-message": message}
    return encode_frame(headers, b"")


def exception_frame(exception_type: str, message: str, *, reason: str | None = None) -> bytes:
    """A `:message-type: exception` frame, e.g. a mid-stream `ThrottlingException`."""
    payload: dict[str, Any] = {"message": message}
    if reason is not None:
        payload["reason"] = reason
    headers = {
        ":message-type": "exception",
        ":exception-type": exception_type,
        ":content-type": "application/json",
    }
    return encode_frame(headers, orjson.dumps(payload))


# --------------------------------------------------------------------------- whole answers


def text_answer(
    *chunks: str,
    stop_reason: str = "END_TURN",
    token_usage: Mapping[str, Any] | None = None,
    credits: float = 0.04,
) -> bytes:
    """A plain answer: conversation id, the text chunks, metering, usage and stop reason."""
    return (
        message_metadata()
        + b"".join(assistant_text(chunk) for chunk in chunks)
        + metering(credits)
        + metadata(stop_reason, token_usage if token_usage is not None else usage())
    )


def tool_answer(
    calls: Iterable[tuple[str, str, str]],
    *,
    text: str = "",
    token_usage: Mapping[str, Any] | None = None,
) -> bytes:
    """Optional text, then each `(tool_use_id, name, arguments)` call, then TOOL_USE."""
    body = assistant_text(text) if text else b""
    body += b"".join(tool_call(*call) for call in calls)
    return body + metadata("TOOL_USE", token_usage if token_usage is not None else usage())


def prelude(total: int, headers: int = 0) -> bytes:
    """A frame's first 12 bytes alone, with a valid checksum: a frame that declares `total`
    bytes (any length, absurd ones too) without sending them."""
    head = struct.pack(">II", total, headers)
    return head + struct.pack(">I", zlib.crc32(head))

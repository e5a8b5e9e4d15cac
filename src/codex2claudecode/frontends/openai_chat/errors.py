"""Renders gateway errors for Chat Completions clients: the HTTP error body (OpenAI's shape,
shared with the Responses dialect) and the in-band form for a stream that has begun.

Mid-stream, OpenAI sends the error object as one more `data:` line; the OpenAI SDKs raise it as
an `APIError`. No `[DONE]` follows, so a client that ignores the error cannot mistake the cut
answer for a finished one.
"""

from __future__ import annotations

import orjson

from codex2claudecode.errors import GatewayError
from codex2claudecode.frontends.openai.errors import error_object, render_error

__all__ = ["render_error", "render_stream_error"]


def render_stream_error(exc: GatewayError) -> bytes:
    """The `data: {"error": ...}` line for a failure after the stream began; nothing follows."""
    return b"data: " + orjson.dumps({"error": error_object(exc)}) + b"\n\n"

"""Renders gateway errors in the Anthropic error shape: an HTTP error body or an SSE `error` frame.

Types follow the Messages API error table (protocols-and-pitfalls §5a).
"""

from __future__ import annotations

import orjson

from codex2claudecode.errors import (
    ContextTooLong,
    GatewayError,
    NoAccount,
    RateLimited,
    UpstreamUnavailable,
)

_TYPE_BY_STATUS: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}

# Claude Code treats an error as context overflow when its text contains "prompt is too long",
# and sizes its reactive compaction from the two numbers it reads with
# /prompt is too long[^0-9]*(\d+)\s*tokens?\s*>\s*(\d+)/i (seen in Claude Code 2.1.x sources
# and in several peer gateways). Anthropic's own wording is
# "prompt is too long: 210118 tokens > 200000 maximum" (anthropics/claude-code#820).
_PROMPT_TOO_LONG = "prompt is too long"


RETRY_WITHIN = 300
"""Seconds: a limit lifting sooner is retried by the client (Claude Code waits `retry-after`);
one lifting later stops it at once, with the reset in the message (issue 11.2)."""


def _limit_reached(exc: RateLimited) -> list[tuple[bytes, bytes]]:
    """What Anthropic's API sends a subscriber whose limit is spent.

    Claude Code 2.1.x gives up on a 429 with `x-should-retry: false` without retrying and shows
    the error's message; with a subscription (or gateway) login it also reads the
    `anthropic-ratelimit-unified-*` headers to word its own "limit reached · resets …" notice.
    """
    headers = [
        (b"x-should-retry", b"false"),
        (b"anthropic-ratelimit-unified-status", b"rejected"),
    ]
    if exc.resets_at is not None:
        headers.append((b"anthropic-ratelimit-unified-reset", str(round(exc.resets_at)).encode()))
    return headers


def error_type(exc: GatewayError) -> str:
    """The Anthropic `error.type` for an error, chosen by its HTTP status."""
    if isinstance(exc, NoAccount):
        # The gateway itself has no usable credentials. `authentication_error` would send
        # Claude Code to "/login" for an API key that is fine; `api_error` shows our message,
        # and `x-should-retry: false` (see `render_error`) stops the futile retries.
        return "api_error"
    known = _TYPE_BY_STATUS.get(exc.status)
    if known is not None:
        return known
    return "invalid_request_error" if 400 <= exc.status < 500 else "api_error"


def error_message(exc: GatewayError) -> str:
    """The client-facing message; for context overflow, the form Claude Code compacts on."""
    if not isinstance(exc, ContextTooLong):
        return exc.message
    if exc.tokens is not None and exc.limit is not None:
        about = "about " if exc.approximate else ""
        numbers = f"{_PROMPT_TOO_LONG}: {about}{exc.tokens} tokens > {exc.limit} maximum"
        if exc.approximate and exc.tokens == exc.limit + 1:
            # Raised to keep the shape Claude Code compacts on: say what was really counted.
            return f"{numbers} ({exc.message})"
        return numbers
    if exc.message.startswith(_PROMPT_TOO_LONG):
        return exc.message
    return f"{_PROMPT_TOO_LONG}: {exc.message}"


def render_error(
    exc: GatewayError, *, request_id: str
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The HTTP answer for an error raised before any response byte was sent.

    Returns:
        `(status, headers, body)`; headers are lower-case ASGI byte pairs.
    """
    body = orjson.dumps(
        {
            "type": "error",
            "error": {"type": error_type(exc), "message": error_message(exc)},
            "request_id": request_id,
        }
    )
    headers = [(b"content-type", b"application/json"), (b"request-id", request_id.encode())]
    if isinstance(exc, RateLimited) and exc.retry_after is not None:
        headers.append((b"retry-after", str(max(exc.retry_after, 0)).encode()))
        if exc.retry_after > RETRY_WITHIN and exc.usage_limit:
            headers += _limit_reached(exc)
    if isinstance(exc, UpstreamUnavailable) and exc.retry_after is not None:
        # The upstream's own wait, passed on: the SDKs and Claude Code retry after it.
        headers.append((b"retry-after", str(max(exc.retry_after, 0)).encode()))
    if isinstance(exc, NoAccount):
        # Both the SDKs and Claude Code obey this header; retrying cannot conjure an account.
        headers.append((b"x-should-retry", b"false"))
    return exc.status, headers, body


def render_stream_error(exc: GatewayError) -> bytes:
    """The SSE `error` frame for a failure after the stream began; nothing may follow it."""
    payload = orjson.dumps(
        {"type": "error", "error": {"type": error_type(exc), "message": error_message(exc)}}
    )
    return b"event: error\ndata: " + payload + b"\n\n"

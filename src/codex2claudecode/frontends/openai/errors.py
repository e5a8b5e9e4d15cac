"""Renders gateway errors in OpenAI's error shape, `{"error": {message, type, param, code}}`,
for both OpenAI dialects: the HTTP error body here, the in-band forms in each dialect's
`errors.py`.

Types and codes are the ones OpenAI's API sends: a bad key is an `invalid_request_error` with
code `invalid_api_key`, a rate limit has type `requests` and code `rate_limit_exceeded`, an
overflowing prompt has code `context_length_exceeded`.
"""

from __future__ import annotations

import orjson

from codex2claudecode.errors import (
    AuthenticationFailed,
    ContextTooLong,
    GatewayError,
    InvalidRequest,
    NoAccount,
    PermissionDenied,
    RateLimited,
    RequestTooLarge,
    UpstreamUnavailable,
)

_OVERLOADED_STATUS = 503
"""OpenAI answers an overloaded engine with 503; 529 is Anthropic's and unknown to its SDKs."""


def error_type(exc: GatewayError) -> str:
    """The OpenAI `error.type` for an error."""
    match exc:
        case RateLimited():
            return "requests"
        case PermissionDenied():
            return "request_forbidden"
        case NoAccount() | UpstreamUnavailable():
            return "server_error"
        case GatewayError(status=status) if 400 <= status < 500:
            return "invalid_request_error"
        case _:
            return "server_error"


def error_code(exc: GatewayError) -> str | None:
    """The OpenAI `error.code`, when OpenAI has one for this kind of failure."""
    match exc:
        case ContextTooLong():
            return "context_length_exceeded"
        case AuthenticationFailed():
            return "invalid_api_key"
        case RateLimited():
            return "rate_limit_exceeded"
        case RequestTooLarge():
            return "request_too_large"
        case PermissionDenied():
            return "permission_denied"
        case _:
            return None


def error_message(exc: GatewayError) -> str:
    """The message; a rate limit says when to retry, in the words the Codex CLI parses."""
    retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
    if retry_after is not None and "try again in" not in exc.message.lower():
        return f"{exc.message.rstrip('. ')}. Please try again in {max(retry_after, 0)}s."
    return exc.message


def error_object(exc: GatewayError) -> dict[str, object]:
    """The `{message, type, param, code}` object OpenAI puts under `error`."""
    return {
        "message": error_message(exc),
        "type": error_type(exc),
        "param": exc.param if isinstance(exc, InvalidRequest) else None,
        "code": error_code(exc),
    }


def http_status(exc: GatewayError) -> int:
    return _OVERLOADED_STATUS if isinstance(exc, UpstreamUnavailable) else exc.status


def render_error(
    exc: GatewayError, *, request_id: str
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The HTTP answer for an error raised before any response byte was sent.

    Returns:
        `(status, headers, body)`; headers are lower-case ASGI byte pairs.
    """
    body = orjson.dumps({"error": error_object(exc)})
    headers = [(b"content-type", b"application/json"), (b"x-request-id", request_id.encode())]
    if isinstance(exc, RateLimited | UpstreamUnavailable) and exc.retry_after is not None:
        headers.append((b"retry-after", str(max(exc.retry_after, 0)).encode()))
    if isinstance(exc, NoAccount):
        # The OpenAI SDKs obey this header; retrying cannot conjure an account.
        headers.append((b"x-should-retry", b"false"))
    return http_status(exc), headers, body

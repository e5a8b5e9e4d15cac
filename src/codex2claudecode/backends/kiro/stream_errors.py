"""Kiro's in-stream failures -> gateway errors: `error` and `exception` frames, invalid state.

Messages say what happened and what to do; the upstream's own words are kept (bounded), since
Kiro's are short and carry no secrets. Context overflow becomes `ContextTooLong`, the error
Claude Code compacts on (kiro-2026-update §5, protocols §4 item 5).
"""

from __future__ import annotations

import re

import orjson

from codex2claudecode import errors
from codex2claudecode.backends.kiro.eventstream import Frame

_MAX_DETAIL = 500
_CONTEXT_OVERFLOW = re.compile(
    r"input is too long|prompt is too long|context[-_ ]?(?:limit|length|window)"
    r"|too many tokens|CONTENT_LENGTH_EXCEEDS_THRESHOLD|PROMPT_TOO_LONG",
    re.IGNORECASE,
)
_CREDITS_SPENT = re.compile(
    r"throttled by the service|MONTHLY_REQUEST_COUNT|reached the limit", re.IGNORECASE
)
_TRANSIENT = frozenset({"INSUFFICIENT_MODEL_CAPACITY", "ServiceUnavailableException"})


def frame_error(frame: Frame) -> errors.GatewayError:
    """The error for a frame whose `:message-type` is `error` or `exception`."""
    headers = frame.headers
    if headers.get(":message-type") == "error":
        kind = _text(headers.get(":error-code")) or "UnknownError"
        message = _text(headers.get(":error-message")) or _payload_message(frame.payload)[0]
        return kiro_error(kind, message, reason="")
    kind = _text(headers.get(":exception-type")) or "UnknownException"
    message, reason = _payload_message(frame.payload)
    return kiro_error(kind, message, reason=reason)


def kiro_error(kind: str, message: str, *, reason: str) -> errors.GatewayError:
    """The error for a Kiro failure named `kind` (e.g. `ThrottlingException`), with its reason."""
    detail = message[:_MAX_DETAIL] or "no details given"
    named = f"{kind}, {reason}" if reason else kind
    words = f"{named}: {detail}"
    if _CONTEXT_OVERFLOW.search(f"{reason} {message}"):
        return errors.ContextTooLong(
            f"Input is too long for the model's context window (Kiro {words}). "
            "Compact or shorten the conversation and try again."
        )
    if kind in _TRANSIENT or reason in _TRANSIENT:
        return errors.UpstreamUnavailable(
            f"Kiro has no capacity for this model right now (Kiro {words}). "
            "Retry in a moment or pick another model."
        )
    if "Throttl" in kind or reason == "USER_REQUEST_RATE_EXCEEDED":
        if _CREDITS_SPENT.search(f"{reason} {message}"):
            return errors.RateLimited(
                f"This Kiro account's credits are spent for the month (Kiro {words}). "
                "Switch to another Kiro account or wait for the monthly reset."
            )
        return errors.RateLimited(
            f"Kiro is rate limiting this account (Kiro {words}). "
            "Wait a moment and retry, or switch to another Kiro account."
        )
    if "Validation" in kind:
        return errors.InvalidRequest(
            f"Kiro rejected the request (Kiro {words}). Fix the request and try again."
        )
    return errors.UpstreamFailed(f"Kiro failed while answering (Kiro {words}). Retry the request.")


def _payload_message(payload: bytes) -> tuple[str, str]:
    """(message, reason) from an exception payload: JSON `{message, reason}` or plain text."""
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return payload.decode("utf-8", "replace").strip(), ""
    if not isinstance(body, dict):
        return str(body), ""
    message = body.get("message") or body.get("Message") or ""
    reason = body.get("reason") or ""
    return str(message), str(reason)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""

"""Renders gateway errors for Responses clients: the HTTP error body (OpenAI's shape, shared with
the Chat dialect) and the `error` object of a `response.failed` event.

Mid-stream failures end the stream with `response.failed` rather than a bare `error` event: it is
one of the three terminal events of the Responses grammar, and the one the Codex CLI reads the
failure's code from (`context_length_exceeded`, `rate_limit_exceeded`, ...).
"""

from __future__ import annotations

from codex2claudecode.errors import GatewayError
from codex2claudecode.frontends.openai.errors import error_object, render_error

__all__ = ["failed_error", "render_error"]


def failed_error(exc: GatewayError) -> dict[str, object]:
    """The `response.error` object of a failed response: `{code, message}`."""
    error = error_object(exc)
    code = error["code"] or (
        "invalid_prompt" if error["type"] == "invalid_request_error" else "server_error"
    )
    return {"code": code, "message": error["message"]}

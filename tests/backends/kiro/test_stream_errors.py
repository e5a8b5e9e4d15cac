from __future__ import annotations

import pytest

from codex2claudecode import errors
from codex2claudecode.backends.kiro.eventstream import Frame
from codex2claudecode.backends.kiro.stream_errors import frame_error, kiro_error


@pytest.mark.parametrize(
    ("kind", "message", "reason", "error"),
    [
        ("ValidationException", "Bad.", "PROMPT_TOO_LONG", errors.ContextTooLong),
        ("ValidationException", "Input is too long.", "", errors.ContextTooLong),
        ("ValidationException", "Improperly formed request.", "", errors.InvalidRequest),
        ("ThrottlingException", "Rate exceeded", "", errors.RateLimited),
        ("ServiceUnavailableException", "down", "", errors.UpstreamUnavailable),
        ("AccessDeniedException", "no", "", errors.UpstreamFailed),
    ],
)
def test_kiro_error(kind: str, message: str, reason: str, error: type[errors.GatewayError]) -> None:
    assert type(kiro_error(kind, message, reason=reason)) is error


def test_long_upstream_messages_are_bounded() -> None:
    assert len(kiro_error("InternalServerException", "x" * 10_000, reason="").message) < 700


def test_an_exception_frame_with_a_plain_text_payload() -> None:
    frame = Frame({":message-type": "exception", ":exception-type": "Boom"}, b"it broke\n")
    assert frame_error(frame).message.startswith(
        "Kiro failed while answering (Kiro Boom: it broke)"
    )


def test_an_error_frame_without_headers_falls_back_to_its_payload() -> None:
    frame = Frame({":message-type": "error"}, b'{"message": "bad things"}')
    error = frame_error(frame)
    assert type(error) is errors.UpstreamFailed
    assert "UnknownError: bad things" in error.message

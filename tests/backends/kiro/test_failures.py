from __future__ import annotations

import pytest

from codex2claudecode import errors
from codex2claudecode.backends.kiro.failures import classify
from codex2claudecode.backends.kiro.models import KiroModel

OPUS = KiroModel("claude-opus-4.8", "Opus", 1_000_000)


@pytest.mark.parametrize(
    ("status", "headers", "raw", "kind", "cooldown", "words"),
    [
        (401, {}, b"expired", errors.AuthenticationFailed, None, "sign in to Kiro again"),
        (403, {}, b'{"message":"denied"}', errors.PermissionDenied, None, "after a refresh"),
        (
            429,
            {"retry-after": "7"},
            b'{"message":"Rate exceeded","reason":"USER_REQUEST_RATE_EXCEEDED",'
            b'"__type":"com.amazon#ThrottlingException"}',
            errors.RateLimited,
            "rate",
            "request rate limit",
        ),
        (
            429,
            {},
            b'{"message":"Throttled by the service"}',
            errors.RateLimited,
            "credits",
            "used up the monthly credits",
        ),
        (
            429,
            {},
            b"You have reached the limit. (reason: MONTHLY_REQUEST_COUNT)",
            errors.RateLimited,
            "credits",
            "monthly request (credit) limit",
        ),
        (
            429,
            {},
            b'{"message":"high volume of traffic","reason":"INSUFFICIENT_MODEL_CAPACITY"}',
            errors.UpstreamUnavailable,
            "capacity",
            "claude-opus-4.8",
        ),
        (500, {}, b"boom", errors.UpstreamFailed, None, "HTTP 500"),
        (503, {}, b"down", errors.UpstreamUnavailable, None, "unavailable (503)"),
        (413, {}, b"big", errors.RequestTooLarge, None, "too large"),
        (
            400,
            {},
            b'{"message":"Input is too long.","reason":"CONTENT_LENGTH_EXCEEDS_THRESHOLD"}',
            errors.ContextTooLong,
            None,
            "too long",
        ),
    ],
)
def test_classify(
    status: int,
    headers: dict[str, str],
    raw: bytes,
    kind: type[errors.GatewayError],
    cooldown: str | None,
    words: str,
) -> None:
    failure = classify(status, headers, raw, model=OPUS)
    assert type(failure.error) is kind
    assert failure.cooldown == cooldown
    assert words in failure.error.message


def test_retry_after_kept_only_for_rate_limits() -> None:
    rate = classify(429, {"retry-after": "7"}, b"USER_REQUEST_RATE_EXCEEDED")
    assert isinstance(rate.error, errors.RateLimited) and rate.error.retry_after == 7
    spent = classify(429, {"retry-after": "7"}, b"Throttled by the service")
    assert isinstance(spent.error, errors.RateLimited) and spent.error.retry_after is None
    assert spent.limit == "the monthly credits"


def test_secrets_are_redacted() -> None:
    token = "aoaAAAAAGk1" + "x" * 30
    failure = classify(429, {}, f'{{"message":"Bearer {token} throttled"}}'.encode())
    assert token not in failure.error.message and "[redacted]" in failure.error.message

"""Tests for the Anthropic error rendering: types, statuses, headers, and what clients see."""

from __future__ import annotations

import json
import re

import anthropic
import httpx2
import pytest

from codex2claudecode import errors
from codex2claudecode.frontends.anthropic.errors import (
    error_type,
    render_error,
    render_stream_error,
)

# What Claude Code's reactive compaction reads the two numbers with (Claude Code 2.1.x).
CLAUDE_CODE_PTL = re.compile(r"prompt is too long[^0-9]*(\d+)\s*tokens?\s*>\s*(\d+)", re.IGNORECASE)

CASES: list[tuple[errors.GatewayError, int, str, type[anthropic.APIStatusError]]] = [
    (
        errors.InvalidRequest("bad", param="messages.0"),
        400,
        "invalid_request_error",
        anthropic.BadRequestError,
    ),
    (errors.ContextTooLong("big"), 400, "invalid_request_error", anthropic.BadRequestError),
    (errors.AuthenticationFailed("no"), 401, "authentication_error", anthropic.AuthenticationError),
    (errors.PermissionDenied("no"), 403, "permission_error", anthropic.PermissionDeniedError),
    (errors.NotFound("no"), 404, "not_found_error", anthropic.NotFoundError),
    (errors.RequestTooLarge("big"), 413, "request_too_large", anthropic.APIStatusError),
    (errors.RateLimited("slow", retry_after=30), 429, "rate_limit_error", anthropic.RateLimitError),
    (errors.NoAccount("connect one"), 503, "api_error", anthropic.ServiceUnavailableError),
    (errors.UpstreamUnavailable("busy"), 529, "overloaded_error", anthropic.OverloadedError),
    (errors.UpstreamFailed("broke"), 502, "api_error", anthropic.InternalServerError),
    (errors.GatewayError("bug"), 500, "api_error", anthropic.InternalServerError),
    (errors.GatewayError("gone", status=404), 404, "not_found_error", anthropic.NotFoundError),
    (
        errors.UpstreamFailed("odd", status=418),
        418,
        "invalid_request_error",
        anthropic.APIStatusError,
    ),
    (
        errors.UpstreamFailed("gateway", status=504),
        504,
        "timeout_error",
        anthropic.InternalServerError,
    ),
    (errors.UpstreamFailed("quota", status=402), 402, "billing_error", anthropic.APIStatusError),
]
IDS = [f"{type(exc).__name__}-{status}" for exc, status, _, _ in CASES]


@pytest.mark.parametrize(("exc", "status", "kind", "sdk_error"), CASES, ids=IDS)
def test_status_type_and_body(
    exc: errors.GatewayError, status: int, kind: str, sdk_error: type[anthropic.APIStatusError]
) -> None:
    assert error_type(exc) == kind
    got_status, headers, body = render_error(exc, request_id="req_abc")
    assert got_status == status
    assert headers[:2] == [(b"content-type", b"application/json"), (b"request-id", b"req_abc")]
    decoded = json.loads(body)
    assert decoded["type"] == "error"
    assert decoded["request_id"] == "req_abc"
    assert decoded["error"]["type"] == kind


@pytest.mark.parametrize(("exc", "status", "kind", "sdk_error"), CASES, ids=IDS)
def test_the_official_sdk_raises_the_matching_error(
    exc: errors.GatewayError, status: int, kind: str, sdk_error: type[anthropic.APIStatusError]
) -> None:
    status, headers, body = render_error(exc, request_id="req_abc")

    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(status, headers=headers, content=body)

    client = anthropic.Anthropic(
        api_key="k",
        base_url="http://gateway.test",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(answer)),
    )
    with pytest.raises(sdk_error) as raised:
        client.messages.create(
            model="claude-x", max_tokens=8, messages=[{"role": "user", "content": "hi"}]
        )
    assert raised.value.request_id == "req_abc"
    assert raised.value.type == kind


def test_plain_message_is_passed_through() -> None:
    _, _, body = render_error(errors.UpstreamFailed("upstream said 500"), request_id="r")
    assert body == (
        b'{"type":"error","error":{"type":"api_error","message":"upstream said 500"},'
        b'"request_id":"r"}'
    )


def test_context_too_long_with_numbers_is_what_claude_code_compacts_on() -> None:
    exc = errors.ContextTooLong(
        "Your input exceeds the context window", tokens=210118, limit=200000
    )
    _, _, body = render_error(exc, request_id="r")
    message = json.loads(body)["error"]["message"]
    assert message == "prompt is too long: 210118 tokens > 200000 maximum"
    match = CLAUDE_CODE_PTL.search(message)
    assert match is not None and match.groups() == ("210118", "200000")


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        # Issue 11.5: a local count above the window is reported as such, "about".
        (
            errors.ContextTooLong("too long", tokens=280123, limit=272000, approximate=True),
            "prompt is too long: about 280123 tokens > 272000 maximum",
        ),
        # A count raised to keep the shape says so, and what was really counted.
        (
            errors.ContextTooLong(
                "Too long; the gateway counts about 22013 tokens",
                tokens=272001,
                limit=272000,
                approximate=True,
            ),
            "prompt is too long: about 272001 tokens > 272000 maximum "
            "(Too long; the gateway counts about 22013 tokens)",
        ),
    ],
)
def test_context_too_long_with_our_own_count(exc: errors.ContextTooLong, message: str) -> None:
    _, _, body = render_error(exc, request_id="r")
    rendered = json.loads(body)["error"]["message"]
    assert rendered == message
    match = CLAUDE_CODE_PTL.search(rendered)
    assert match is not None and (int(match[1]), int(match[2])) == (exc.tokens, exc.limit)


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (
            errors.ContextTooLong("Your input exceeds the context window of this model."),
            "prompt is too long: Your input exceeds the context window of this model.",
        ),
        (
            errors.ContextTooLong("over", tokens=5),  # one number alone cannot size compaction
            "prompt is too long: over",
        ),
        (
            errors.ContextTooLong("prompt is too long: 5 tokens > 4 maximum"),
            "prompt is too long: 5 tokens > 4 maximum",
        ),
    ],
)
def test_context_too_long_without_both_numbers(exc: errors.ContextTooLong, message: str) -> None:
    _, _, body = render_error(exc, request_id="r")
    assert json.loads(body)["error"]["message"] == message


@pytest.mark.parametrize(
    ("exc", "extra"),
    [
        (errors.RateLimited("slow", retry_after=42), [(b"retry-after", b"42")]),
        (errors.RateLimited("slow"), []),
        (errors.NoAccount("run /connect"), [(b"x-should-retry", b"false")]),
        (errors.UpstreamFailed("broke"), []),
    ],
)
def test_extra_headers(exc: errors.GatewayError, extra: list[tuple[bytes, bytes]]) -> None:
    _, headers, _ = render_error(exc, request_id="r")
    assert headers[2:] == extra


@pytest.mark.parametrize(("exc", "status", "kind", "sdk_error"), CASES, ids=IDS)
def test_stream_error_frame(
    exc: errors.GatewayError, status: int, kind: str, sdk_error: type[anthropic.APIStatusError]
) -> None:
    frame = render_stream_error(exc)
    head, data = frame.split(b"\n", 1)
    assert head == b"event: error" and data.startswith(b"data: ") and data.endswith(b"}\n\n")
    assert json.loads(data[6:]) == {
        "type": "error",
        "error": {
            "type": kind,
            "message": json.loads(render_error(exc, request_id="r")[2])["error"]["message"],
        },
    }


def test_stream_error_frame_exact() -> None:
    frame = render_stream_error(errors.ContextTooLong("x", tokens=3, limit=2))
    assert frame == (
        b'event: error\ndata: {"type":"error","error":{"type":"invalid_request_error",'
        b'"message":"prompt is too long: 3 tokens > 2 maximum"}}\n\n'
    )


@pytest.mark.parametrize(
    ("retry_after", "stops"),
    [(30, False), (300, False), (301, True), (5 * 3600, True)],
)
def test_a_limit_far_away_tells_the_client_not_to_retry(retry_after: int, stops: bool) -> None:
    exc = errors.RateLimited("limit", retry_after=retry_after, resets_at=1_800_000_000.0)
    _, headers, _ = render_error(exc, request_id="r")
    got = dict(headers)
    assert got[b"retry-after"] == str(retry_after).encode()
    if stops:
        assert got[b"x-should-retry"] == b"false"
        assert got[b"anthropic-ratelimit-unified-status"] == b"rejected"
        assert got[b"anthropic-ratelimit-unified-reset"] == b"1800000000"
    else:
        assert b"x-should-retry" not in got

"""The OpenAI error shape shared by both OpenAI dialects, checked against the SDK's status
mapping (an error body the SDK turns into the right exception class)."""

from __future__ import annotations

import httpx2
import openai
import orjson
import pytest

from codex2claudecode import errors
from codex2claudecode.frontends.openai.errors import render_error


@pytest.mark.parametrize(
    ("exc", "status", "type_", "code", "sdk_error"),
    [
        (
            errors.InvalidRequest("bad", param="input[0].role"),
            400,
            "invalid_request_error",
            None,
            openai.BadRequestError,
        ),
        (
            errors.ContextTooLong("too long"),
            400,
            "invalid_request_error",
            "context_length_exceeded",
            openai.BadRequestError,
        ),
        (
            errors.AuthenticationFailed("no"),
            401,
            "invalid_request_error",
            "invalid_api_key",
            openai.AuthenticationError,
        ),
        (
            errors.PermissionDenied("no"),
            403,
            "request_forbidden",
            "permission_denied",
            openai.PermissionDeniedError,
        ),
        (errors.NotFound("no model"), 404, "invalid_request_error", None, openai.NotFoundError),
        (
            errors.RequestTooLarge("big"),
            413,
            "invalid_request_error",
            "request_too_large",
            openai.APIStatusError,
        ),
        (
            errors.RateLimited("slow", retry_after=7),
            429,
            "requests",
            "rate_limit_exceeded",
            openai.RateLimitError,
        ),
        (errors.NoAccount("log in first"), 503, "server_error", None, openai.InternalServerError),
        (errors.UpstreamUnavailable("busy"), 503, "server_error", None, openai.InternalServerError),
        (errors.UpstreamFailed("broke"), 502, "server_error", None, openai.InternalServerError),
        (errors.GatewayError("bug"), 500, "server_error", None, openai.InternalServerError),
    ],
)
def test_error_shapes(
    exc: errors.GatewayError,
    status: int,
    type_: str,
    code: str | None,
    sdk_error: type[openai.APIStatusError],
) -> None:
    got_status, headers, body = render_error(exc, request_id="req_1")
    assert got_status == status
    error = orjson.loads(body)["error"]
    assert error["type"] == type_ and error["code"] == code
    assert error["param"] == (exc.param if isinstance(exc, errors.InvalidRequest) else None)
    assert (b"x-request-id", b"req_1") in headers
    response = httpx2.Response(
        status, content=body, request=httpx2.Request("POST", "http://x/v1/responses")
    )
    client = openai.OpenAI(api_key="k", base_url="http://x/v1")
    raised = client._make_status_error_from_response(response)
    assert type(raised) is sdk_error
    assert raised.code == code


def test_rate_limit_tells_when_to_retry() -> None:
    _, headers, body = render_error(
        errors.RateLimited("Limit reached", retry_after=7), request_id="r"
    )
    assert (b"retry-after", b"7") in headers
    assert orjson.loads(body)["error"]["message"] == "Limit reached. Please try again in 7s."


def test_no_account_stops_sdk_retries() -> None:
    _, headers, _ = render_error(errors.NoAccount("no account"), request_id="r")
    assert (b"x-should-retry", b"false") in headers

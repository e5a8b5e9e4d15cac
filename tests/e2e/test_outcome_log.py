"""The console line says how each request ended, once (issue 11.6): a stream is a 200 whether
it completed, broke upstream or was cancelled by the client, so the outcome is in the line."""

from __future__ import annotations

import logging
import time

import anthropic
import httpx
import pytest

from tests.e2e.conftest import Env
from tests.fakes.codex import Reply
from tests.fakes.responses_events import ResponseScript, text_answer

STREAM = {
    "model": "gpt-5.4",
    "max_tokens": 50,
    "stream": True,
    "messages": [{"role": "user", "content": "hi"}],
}


def request_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "codex2claudecode.http" and "POST /v1/messages" in r.getMessage()
    ]


def wait_for_line(caplog: pytest.LogCaptureFixture) -> str:
    # The line is written when the server finishes the request, after the client has its
    # bytes; the per-test timeout ends a wait that never succeeds.
    while not request_lines(caplog):
        time.sleep(0.01)
    (line,) = request_lines(caplog)
    return line


def test_a_completed_stream(env: Env, gateway: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "codex2claudecode.http")
    env.fake.script(Reply(events=text_answer("Hello")))
    httpx.post(gateway + "/v1/messages", json=STREAM)
    assert wait_for_line(caplog).endswith("ms completed")


def test_a_stream_broken_upstream(env: Env, gateway: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "codex2claudecode.http")
    env.fake.script(Reply(events=ResponseScript().text("Hel", "lo").completed(), cut_after=6))
    httpx.post(gateway + "/v1/messages", json=STREAM)
    line = wait_for_line(caplog)
    assert " 200 POST /v1/messages " in line
    assert "upstream error: " in line and "completed" not in line


def test_a_stream_the_client_cancelled(
    env: Env, gateway: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "codex2claudecode.http")
    env.fake.script(Reply(events=text_answer("Hel", "lo"), stall_after=5))
    with httpx.stream("POST", gateway + "/v1/messages", json=STREAM) as response:
        next(response.iter_bytes())
    assert wait_for_line(caplog).endswith("ms client cancelled")


def test_a_429_is_logged_once(
    env: Env, client: anthropic.Anthropic, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    env.fake.script(
        Reply(
            status=429,
            headers={
                "x-codex-primary-used-percent": "100",
                "x-codex-primary-window-minutes": "300",
                "x-codex-primary-reset-after-seconds": "1234",
            },
            body={
                "error": {
                    "type": "usage_limit_reached",
                    "message": "The usage limit has been reached",
                    "resets_in_seconds": 1234,
                }
            },
        )
    )
    with pytest.raises(anthropic.RateLimitError):
        client.messages.create(
            model="gpt-5.4", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
        )
    wait_for_line(caplog)
    # One line from the pool, besides the request's own console line (which gives the reason).
    limit_lines = [
        r
        for r in caplog.records
        if "usage limit" in r.getMessage() and r.name != "codex2claudecode.http"
    ]
    assert len(limit_lines) == 1, [r.getMessage() for r in limit_lines]

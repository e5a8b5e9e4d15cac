"""Issue 9 item 9: the console line of a request names the model and, on failure, the reason."""

from __future__ import annotations

import re

import httpx

from tests.cli_harness import MESSAGE, Launched, launch


def test_a_failed_request_says_model_and_reason(
    cli_env: dict[str, str], start: list[Launched]
) -> None:
    gateway = launch(start, cli_env, "--port", "0")
    r = httpx.post(gateway.url + "/v1/messages", json=MESSAGE)
    assert r.status_code == 503
    line = gateway.next_line()
    assert line is not None
    assert re.fullmatch(
        r"\d\d:\d\d:\d\d \[[0-9a-f]{8}\] 503 POST /v1/messages model=gpt-5\.4 \d+ms: "
        r"No Codex account found \(looked for .*\)\. Sign in with `.*codex2claudecode login` .*\n",
        line,
    ), line


def test_a_refused_key_says_why(cli_env: dict[str, str], start: list[Launched]) -> None:
    gateway = launch(start, cli_env, "--port", "0", "--password", "pw")
    httpx.post(gateway.url + "/v1/messages", json=MESSAGE, headers={"x-api-key": "wrong"})
    line = gateway.next_line()
    assert line is not None
    assert "401 POST /v1/messages" in line
    assert line.rstrip().endswith(
        ": invalid API key: send this gateway's password, or the local key "
        "`claude-env set --with-key` wrote, as x-api-key or Authorization: Bearer"
    )
    assert "wrong" not in line


def test_a_successful_request_has_no_reason(cli_env: dict[str, str], start: list[Launched]) -> None:
    gateway = launch(start, cli_env, "--port", "0")
    httpx.get(gateway.url + "/health")
    line = gateway.next_line()
    assert line is not None
    assert re.fullmatch(r"\d\d:\d\d:\d\d \[[0-9a-f]{8}\] 200 GET /health \d+ms\n", line), line


def test_an_openai_refusal_says_why(cli_env: dict[str, str], start: list[Launched]) -> None:
    # Seen in a fresh-HOME run: the Chat route's 400 was logged without its reason.
    gateway = launch(start, cli_env, "--port", "0")
    httpx.post(gateway.url + "/v1/chat/completions", json={"model": "gpt-5.4", "messages": []})
    line = gateway.next_line()
    assert line is not None
    assert "400 POST /v1/chat/completions" in line
    assert line.rstrip().endswith(
        ": Invalid 'messages': empty array. Expected at least one message."
    )

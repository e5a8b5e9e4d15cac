"""A hostile Codex upstream, scripted (issue 10): each fault asserts exactly what the client
sees, that the upstream connection is closed, that nothing crashed, and that the account file
is intact."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import Env, GatewayFactory
from tests.fakes.codex import Reply
from tests.fakes.proxy407 import ProxyAsking407
from tests.fakes.responses_events import text_answer

BODY = {"model": "gpt-5.4", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}
FAST = {
    "STREAM_FIRST_EVENT_TIMEOUT_MS": "1000",  # above the Codex handshake hold (0.5 s)
    "STREAM_IDLE_TIMEOUT_MS": "400",
    "CODEX2CLAUDECODE_PING_INTERVAL": "0.05",
}


@pytest.fixture(autouse=True)
def intact(env: Env, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """After every fault: no traceback logged, and the account file still a live login."""
    caplog.set_level(logging.INFO)
    yield
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    saved = json.loads((env.state / "auth-codex.json").read_text())
    assert env.oauth.is_live(saved["refresh"])


def post(url: str, *, stream: bool) -> httpx.Response:
    with httpx.Client(timeout=30) as client:
        return client.post(url + "/v1/messages", json={**BODY, "stream": stream})


def sse_events(text: str) -> list[tuple[str, dict[str, object]]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        out.append((lines.get("event", ""), json.loads(lines.get("data", "{}"))))
    return out


def wait_closed(env: Env, count: int = 1) -> None:
    """The fake saw the gateway hang up (the upstream request was not leaked)."""
    import time

    while env.fake.cancelled < count:
        time.sleep(0.01)  # bounded by the per-test timeout


# ---------------------------------------------------------------------- stalls


def test_a_stall_before_headers_fails_fast_with_529(
    env: Env, start_gateway: GatewayFactory
) -> None:
    env.fake.script(Reply(events=text_answer("late"), before_headers=3600))
    response = post(start_gateway(**FAST), stream=True)

    assert response.status_code == 529
    error = response.json()["error"]
    assert error["type"] == "overloaded_error"
    assert error["message"] == (
        "The ChatGPT backend sent no event within 1 s (STREAM_FIRST_EVENT_TIMEOUT_MS); try again"
    )
    wait_closed(env)


def test_a_stall_mid_stream_ends_in_an_error_event_with_pings_meanwhile(
    env: Env, start_gateway: GatewayFactory
) -> None:
    env.fake.script(Reply(events=text_answer("Hello", " there"), stall_after=5))
    response = post(start_gateway(**FAST), stream=True)

    assert response.status_code == 200
    events = sse_events(response.text)
    names = [name for name, _ in events]
    assert names[0] == "message_start"
    assert "ping" in names
    assert names[-1] == "error"
    assert events[-1][1]["error"]["type"] == "api_error"  # type: ignore[index]
    wait_closed(env)


def test_upstream_pings_for_ever_are_not_progress(env: Env, start_gateway: GatewayFactory) -> None:
    events = text_answer("Hello")
    env.fake.script(Reply(events=events[:5], pings_after=True))  # after the first delta
    response = post(start_gateway(**FAST), stream=True)

    assert response.status_code == 200
    sent = sse_events(response.text)
    assert [n for n, _ in sent][-1] == "error"
    assert sent[-1][1]["error"] == {
        "type": "api_error",
        "message": "The ChatGPT backend sent no event for 0.4 s (keep-alives do not count; "
        "STREAM_IDLE_TIMEOUT_MS); the stream was aborted",
    }
    wait_closed(env)


def test_the_whole_answer_has_a_deadline(env: Env, start_gateway: GatewayFactory) -> None:
    env.fake.script(Reply(events=text_answer(*["word "] * 400), delay=0.05))
    url = start_gateway(**FAST, STREAM_MAX_DURATION_MS="500")
    response = post(url, stream=True)

    sent = sse_events(response.text)
    assert sent[-1][0] == "error"
    assert "the longest an answer may take" in str(sent[-1][1])
    wait_closed(env)


# ---------------------------------------------------------------------- bad bytes


def test_garbage_instead_of_events_is_a_502(env: Env, start_gateway: GatewayFactory) -> None:
    env.fake.script(Reply(raw=[b"<html>\x00\xff not an event stream</html>\n\n", b"\n\n"]))
    response = post(start_gateway(**FAST), stream=False)

    assert response.status_code == 502
    assert response.json()["error"]["type"] == "api_error"


def test_huge_events_go_through(env: Env, start_gateway: GatewayFactory) -> None:
    # The backend echoes the request's instructions in three events; a big system prompt
    # makes each of them megabytes.
    events = text_answer("ok")
    for event in events:
        if "response" in event:
            event["response"]["instructions"] = "x" * 4_000_000
    env.fake.script(Reply(events=events))
    response = post(start_gateway(**FAST), stream=False)

    assert response.status_code == 200
    assert response.json()["content"] == [{"type": "text", "text": "ok"}]


# ---------------------------------------------------------------------- 401 for ever


def test_a_401_for_ever_spends_one_grant_at_most(env: Env, start_gateway: GatewayFactory) -> None:
    env.fake.accepts = lambda token: False
    url = start_gateway(**FAST)

    answers = [post(url, stream=False) for _ in range(4)]

    assert [a.status_code for a in answers] == [401] * 4
    assert all(a.json()["error"]["type"] == "authentication_error" for a in answers)
    assert env.oauth.grants == 1
    assert "freshly refreshed token" in answers[-1].json()["error"]["message"]


# ---------------------------------------------------------------------- proxies


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_proxy_407_is_a_proxy_authentication_problem(
    env: Env, start_gateway: GatewayFactory, proxy407: ProxyAsking407, scheme: str
) -> None:
    proxy = f"http://alice:s3cret-pw@127.0.0.1:{proxy407.port}"
    base = env.fake_url if scheme == "http" else "https://chatgpt.invalid/backend-api"
    url = start_gateway(**FAST, HTTP_PROXY=proxy, HTTPS_PROXY=proxy, CHATGPT_BASE_URL=base)

    response = post(url, stream=True)

    assert response.status_code == 401
    assert response.json()["error"] == {
        "type": "authentication_error",
        "message": f"The proxy http://***@127.0.0.1:{proxy407.port} refused the request: "
        "407 Proxy Authentication Required. Check the user name and password in "
        "HTTPS_PROXY / HTTP_PROXY (http://user:password@host:port).",
    }


def test_proxy_credentials_never_appear_in_errors(
    env: Env, start_gateway: GatewayFactory, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proxy = f"http://alice:s3cret-pw@127.0.0.1:{port}"
    url = start_gateway(**FAST, HTTP_PROXY=proxy, HTTPS_PROXY=proxy)

    response = post(url, stream=False)

    assert response.status_code == 502  # unreachable is not overloaded (issue 9.4)
    assert "s3cret-pw" not in response.text
    assert f"proxy 127.0.0.1:{port}" in response.json()["error"]["message"]
    assert "s3cret-pw" not in caplog.text

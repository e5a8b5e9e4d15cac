"""Issue 10's upstream faults and early disconnects, on the OpenAI routes (`/v1/responses`,
`/v1/chat/completions`), through the official `openai` SDK against the real gateway.

Each case asserts what an OpenAI client sees, in OpenAI's own wire shape: before the first
event an HTTP error `{"error": {message, type, param, code}}` the SDK raises as its own class;
once a stream has begun, a Responses stream ends in `response.failed` (one of its three terminal
events) and a Chat stream in a `data: {"error": ...}` line with no `[DONE]` after it, which the
SDK raises as `APIError`. The `survives` fixture then checks that nothing crashed, no upstream
request was left running and the account file is intact.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from tests.e2e.conftest import Env
from tests.fakes.codex import Reply
from tests.fakes.responses_events import ResponseScript, text_answer
from tests.faults.conftest import Start, connect, wait_until

pytestmark = [pytest.mark.timeout(60), pytest.mark.usefixtures("survives")]

FAST = {
    "STREAM_FIRST_EVENT_TIMEOUT_MS": "1000",  # above the Codex handshake hold (0.5 s)
    "STREAM_IDLE_TIMEOUT_MS": "400",
    "CODEX2CLAUDECODE_PING_INTERVAL": "0.05",
}
CHAT = "/v1/chat/completions"
RESPONSES = "/v1/responses"
ROUTES = [CHAT, RESPONSES]
FIRST_EVENT = (
    "The ChatGPT backend sent no event within 1 s (STREAM_FIRST_EVENT_TIMEOUT_MS); try again"
)
IDLE = (
    "The ChatGPT backend sent no event for 0.4 s (keep-alives do not count; "
    "STREAM_IDLE_TIMEOUT_MS); the stream was aborted"
)
CUT = "upstream stream ended before the response completed"


@pytest.fixture(scope="module")
def fast(gateways: Start) -> str:
    return gateways(**FAST)


@pytest.fixture
def sdk(fast: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=fast + "/v1", api_key="any", max_retries=0, timeout=30) as client:
        yield client


def body(route: str, *, stream: bool) -> dict[str, Any]:
    if route == CHAT:
        return {
            "model": "gpt-5.4",
            "messages": [{"role": "user", "content": "hi"}],
            "stream": stream,
        }
    return {"model": "gpt-5.4", "input": "hi", "stream": stream}


def create(sdk: openai.OpenAI, route: str, *, stream: bool = False) -> Any:
    """The SDK call for `route`; a stream is read to its end, and its events returned."""
    if route == CHAT:
        answer: Any = sdk.chat.completions.create(
            model="gpt-5.4", messages=[{"role": "user", "content": "hi"}], stream=stream
        )
    else:
        answer = sdk.responses.create(model="gpt-5.4", input="hi", stream=stream)
    return list(answer) if stream else answer


def error_of(caught: pytest.ExceptionInfo[openai.APIStatusError]) -> dict[str, Any]:
    """The `error` object of an HTTP error the SDK raised."""
    document = caught.value.response.json()
    assert set(document) == {"error"}
    assert set(document["error"]) == {"message", "type", "param", "code"}
    return dict(document["error"])


def server_error(message: str, code: str | None = None) -> dict[str, Any]:
    return {"message": message, "type": "server_error", "param": None, "code": code}


def sse_data(text: str) -> list[str]:
    """The `data:` payloads of a raw SSE body, in order."""
    return [
        line.removeprefix("data: ")
        for block in text.split("\n\n")
        for line in block.splitlines()
        if line.startswith("data: ")
    ]


def failed_event(events: list[Any]) -> dict[str, Any]:
    """The Responses stream ended in `response.failed`: its `response.error`."""
    assert events[0].type == "response.created"
    assert events[-1].type == "response.failed"
    assert [e.type for e in events].count("response.failed") == 1
    response = events[-1].response
    assert response.status == "failed"
    return {"code": response.error.code, "message": response.error.message}


# ---------------------------------------------------------------------- before the first event


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("route", ROUTES)
def test_a_stall_before_headers_is_a_503(
    env: Env, sdk: openai.OpenAI, route: str, stream: bool
) -> None:
    env.fake.script(Reply(events=text_answer("late"), before_headers=3600))
    with pytest.raises(openai.InternalServerError) as caught:
        create(sdk, route, stream=stream)
    assert caught.value.status_code == 503
    assert error_of(caught) == server_error(FIRST_EVENT)
    wait_until(lambda: env.fake.cancelled == 1)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("route", ROUTES)
def test_garbage_instead_of_events_is_a_502(
    env: Env, sdk: openai.OpenAI, route: str, stream: bool
) -> None:
    env.fake.script(Reply(raw=[b"<html>\x00\xff not an event stream</html>\n\n", b"\n\n"]))
    with pytest.raises(openai.InternalServerError) as caught:
        create(sdk, route, stream=stream)
    assert caught.value.status_code == 502
    assert error_of(caught) == server_error(CUT)


@pytest.mark.parametrize("route", ROUTES)
def test_a_503_keeps_no_retry_after_it_was_not_given(
    env: Env, sdk: openai.OpenAI, route: str
) -> None:
    env.fake.script(Reply(status=503, body={"error": {"message": "Our servers are busy"}}))
    with pytest.raises(openai.InternalServerError) as caught:
        create(sdk, route, stream=True)
    assert caught.value.status_code == 503
    assert "retry-after" not in caught.value.response.headers
    assert error_of(caught) == server_error("Our servers are busy")


# ---------------------------------------------------------------------- mid-stream


def test_a_chat_stream_stalled_mid_way_ends_in_an_error_chunk_after_keep_alives(
    env: Env, fast: str
) -> None:
    env.fake.script(Reply(events=text_answer("Hello", " there"), stall_after=5))
    with httpx.Client(timeout=30) as client:
        text = client.post(fast + CHAT, json=body(CHAT, stream=True)).text

    assert ": keep-alive\n\n" in text  # SSE comments while the upstream is silent
    data = sse_data(text)
    assert "[DONE]" not in data
    assert json.loads(data[-1]) == {"error": server_error(IDLE)}
    assert json.loads(data[1])["choices"][0]["delta"] == {"content": "Hello"}


def test_the_sdk_raises_a_chat_stream_that_failed_mid_way(env: Env, sdk: openai.OpenAI) -> None:
    env.fake.script(Reply(events=text_answer("Hello", " there"), stall_after=5))
    stream = sdk.chat.completions.create(
        model="gpt-5.4", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    seen: list[str] = []
    with pytest.raises(openai.APIError) as caught:
        seen.extend(chunk.choices[0].delta.content or "" for chunk in stream)
    assert seen == ["", "Hello"]
    assert caught.value.message == IDLE
    assert caught.value.body == server_error(IDLE)


def test_a_responses_stream_stalled_mid_way_ends_in_response_failed(
    env: Env, sdk: openai.OpenAI, fast: str
) -> None:
    env.fake.script(Reply(events=text_answer("Hello", " there"), stall_after=5))
    with sdk.responses.stream(model="gpt-5.4", input="hi") as stream:
        events = list(stream)
        with pytest.raises(RuntimeError, match=r"response\.completed"):
            stream.get_final_response()
    assert failed_event(events) == {"code": "server_error", "message": IDLE}
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert deltas == ["Hello"]


def test_responses_keep_alives_flow_while_the_upstream_is_silent(env: Env, fast: str) -> None:
    env.fake.script(Reply(events=text_answer("Hello", " there"), stall_after=5))
    with httpx.Client(timeout=30) as client:
        text = client.post(fast + RESPONSES, json=body(RESPONSES, stream=True)).text
    assert ": keep-alive\n\n" in text
    assert text.rstrip("\n").rsplit("\n\n", 1)[-1].startswith("event: response.failed\n")


@pytest.mark.parametrize("route", ROUTES)
def test_upstream_pings_for_ever_are_not_progress(env: Env, sdk: openai.OpenAI, route: str) -> None:
    env.fake.script(Reply(events=text_answer("Hello")[:5], pings_after=True))
    if route == CHAT:
        with pytest.raises(openai.APIError) as caught:
            create(sdk, route, stream=True)
        assert caught.value.body == server_error(IDLE)
    else:
        events = create(sdk, route, stream=True)
        assert failed_event(events) == {"code": "server_error", "message": IDLE}
    wait_until(lambda: env.fake.cancelled == 1)


@pytest.mark.parametrize("route", ROUTES)
def test_unknown_events_for_ever_meet_the_deadline(env: Env, gateways: Start, route: str) -> None:
    unknown = {"type": "response.something_new", "sequence_number": 0}
    env.fake.script(Reply(events=text_answer("Hello")[:5] + [unknown] * 2000, delay=0.02))
    url = gateways(**FAST, STREAM_MAX_DURATION_MS="500")
    with openai.OpenAI(base_url=url + "/v1", api_key="any", max_retries=0) as sdk:
        if route == CHAT:
            with pytest.raises(openai.APIError) as caught:
                create(sdk, route, stream=True)
            message = caught.value.message
        else:
            message = failed_event(create(sdk, route, stream=True))["message"]
    assert message == (
        "The ChatGPT backend was still answering after 0.5 s, the longest an answer may take "
        "(STREAM_MAX_DURATION_MS); the stream was aborted"
    )
    wait_until(lambda: env.fake.cancelled == 1)


@pytest.mark.parametrize("route", ROUTES)
def test_a_truncated_stream_is_a_failure_not_an_answer(
    env: Env, sdk: openai.OpenAI, route: str
) -> None:
    env.fake.script(Reply(events=text_answer("Hello")[:-1], delay=0.02))  # no response.completed
    if route == CHAT:
        with pytest.raises(openai.APIError) as caught:
            create(sdk, route, stream=True)
        assert caught.value.body == server_error(CUT)
    else:
        assert failed_event(create(sdk, route, stream=True)) == {
            "code": "server_error",
            "message": CUT,
        }
    env.fake.script(Reply(events=text_answer("Hello")[:-1]))
    with pytest.raises(openai.InternalServerError) as json_caught:
        create(sdk, route, stream=False)
    assert json_caught.value.status_code == 502
    assert error_of(json_caught) == server_error(CUT)


@pytest.mark.parametrize("route", ROUTES)
def test_huge_events_go_through(env: Env, sdk: openai.OpenAI, route: str) -> None:
    events = text_answer("ok")
    for event in events:
        if "response" in event:
            event["response"]["instructions"] = "x" * 4_000_000
    env.fake.script(Reply(events=events))
    answer = create(sdk, route, stream=False)
    text = answer.choices[0].message.content if route == CHAT else answer.output_text
    assert text == "ok"


# ---------------------------------------------------------------------- response.failed kinds

# (upstream code, client status, SDK class, OpenAI type, OpenAI code)
FAILURES = [
    ("context_length_exceeded", 400, openai.BadRequestError, "invalid_request_error"),
    ("server_is_overloaded", 503, openai.InternalServerError, "server_error"),
    ("server_error", 502, openai.InternalServerError, "server_error"),
]
FAILURE_CODE = {
    "context_length_exceeded": "context_length_exceeded",
    "server_is_overloaded": None,
    "server_error": None,
}
MESSAGES = {
    "context_length_exceeded": "Your input exceeds the context window of this model",
    "server_is_overloaded": "Our servers are currently overloaded",
    "server_error": "An error occurred while processing your request",
}


@pytest.mark.parametrize(
    ("code", "status", "raised", "kind"), FAILURES, ids=[f[0] for f in FAILURES]
)
@pytest.mark.parametrize("route", ROUTES)
def test_response_failed_before_any_output_is_an_http_error(
    env: Env,
    sdk: openai.OpenAI,
    route: str,
    code: str,
    status: int,
    raised: type[openai.APIStatusError],
    kind: str,
) -> None:
    env.fake.script(Reply(events=ResponseScript().failed(code, MESSAGES[code])))
    with pytest.raises(raised) as caught:
        create(sdk, route, stream=True)
    assert caught.value.status_code == status
    error = error_of(caught)
    assert (error["type"], error["code"], error["param"]) == (kind, FAILURE_CODE[code], None)
    assert error["message"].startswith(MESSAGES[code])


# The code a Responses client reads from `response.failed` (the Codex CLI decides on it);
# an overload is OpenAI's `server_error`, one of the codes its `ResponseError` schema lists.
IN_BAND_CODE = {
    "context_length_exceeded": "context_length_exceeded",
    "server_is_overloaded": "server_error",
    "server_error": "server_error",
}


@pytest.mark.parametrize("code", list(MESSAGES))
@pytest.mark.parametrize("route", ROUTES)
def test_response_failed_mid_stream_ends_the_stream_in_dialect(
    env: Env, sdk: openai.OpenAI, route: str, code: str
) -> None:
    events = ResponseScript().text("Partial answer").failed(code, MESSAGES[code])
    env.fake.script(Reply(events=events, delay=0.02))
    if route == CHAT:
        with pytest.raises(openai.APIError) as caught:
            create(sdk, route, stream=True)
        error = caught.value.body
        assert isinstance(error, dict)
        assert error["code"] == FAILURE_CODE[code]
        assert error["message"].startswith(MESSAGES[code])
    else:
        failed = failed_event(create(sdk, route, stream=True))
        assert failed["code"] == IN_BAND_CODE[code]
        assert failed["message"].startswith(MESSAGES[code])


# ---------------------------------------------------------------------- early disconnects


def _raw_post(url: str, route: str, payload: dict[str, Any]) -> socket.socket:
    data = json.dumps(payload).encode()
    sock = connect(url)
    sock.sendall(
        f"POST {route} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
        + data
    )
    return sock


@pytest.mark.parametrize(
    ("stream", "stall_after"),
    [(False, 0), (False, 4), (True, 0), (True, 5)],
    ids=[
        "json, before any event",
        "json, mid-answer",
        "stream, before the first event",
        "stream, mid-stream",
    ],
)
@pytest.mark.parametrize("route", ROUTES)
def test_a_client_that_leaves_cancels_the_upstream_request(
    env: Env, gateway: str, route: str, stream: bool, stall_after: int
) -> None:
    env.fake.script(Reply(events=text_answer("never", " finished"), stall_after=stall_after))
    sock = _raw_post(gateway, route, body(route, stream=stream))
    wait_until(lambda: env.fake.active == 1)
    if stream and stall_after:
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
    sock.close()
    wait_until(lambda: env.fake.cancelled == 1 and env.fake.active == 0)

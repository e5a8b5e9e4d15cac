"""A hostile Kiro upstream, scripted (issue 10, its Codex suite's sibling): each fault asserts
exactly what an Anthropic client sees on /v1/messages, that the upstream request was closed,
that nothing crashed, and that the Kiro login on disk is intact."""

from __future__ import annotations

import errno
import json
import logging
import os
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from codex2claudecode.backends.kiro.accounts.credentials import format_expiry
from codex2claudecode.cli import build_gateway
from codex2claudecode.config import Config
from tests.e2e.conftest import KiroEnv
from tests.fakes.kiro import KiroReply
from tests.fakes.kiro_stream import (
    assistant_text,
    context_usage,
    event,
    flip_byte,
    message_metadata,
    metadata,
    prelude,
    text_answer,
    tool_use,
    usage,
)
from tests.fakes.proxy407 import ProxyAsking407
from tests.fakes.server import run_app
from tests.faults.conftest import connect

BODY: dict[str, Any] = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "hi"}],
}
FAST = {
    "STREAM_FIRST_EVENT_TIMEOUT_MS": "1000",
    "STREAM_IDLE_TIMEOUT_MS": "400",
    "CODEX2CLAUDECODE_PING_INTERVAL": "0.05",
}
HELLO = message_metadata() + assistant_text("Hello")
"""The start of an answer: one text delta."""
REST = assistant_text(" there") + metadata("END_TURN", usage(12, 2))

WRITE = {
    "name": "Write",
    "description": "Write a file",
    "input_schema": {
        "type": "object",
        "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
        "required": ["path", "content"],
    },
}

Start = Callable[..., str]


# ---------------------------------------------------------------------- the harness


class Watch(logging.Handler):
    """What the gateway logged, and what the test expects to find wrong afterwards."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.expected: list[str] = []
        """Parts of error messages the scenario is meant to log (a loud warning)."""
        self.rotated = False
        """The scenario refreshes the login: the files change, but must hold a live token."""
        self.files: dict[Path, bytes | None] = {}
        """The login files as the scenario left them before the faults."""

    def keep(self, *paths: Path) -> None:
        """From now on, these files must stay as they are."""
        self.files = {path: path.read_bytes() if path.exists() else None for path in paths}

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self) -> str:
        return "\n".join(r.getMessage() for r in self.records)


@pytest.fixture
def start(kiro_env: KiroEnv) -> Iterator[Start]:
    """Start a gateway on Kiro with extra settings; returns its base URL."""
    stack: list[Any] = []

    def start(**extra: str) -> str:
        cm = run_app(build_gateway(Config.load(kiro_env.env(**{**FAST, **extra}))).app)
        stack.append(cm)
        return str(cm.__enter__())

    yield start
    for cm in reversed(stack):
        cm.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def watch(kiro_env: KiroEnv) -> Iterator[Watch]:
    """After every fault: no upstream request left running, no traceback or unexpected error
    logged, and the Kiro login on disk as it was (or, refreshed, still live)."""
    handler = Watch()
    handler.keep(kiro_env.ide, kiro_env.root / "state" / "kiro-state.json")
    loggers = [logging.getLogger(name) for name in ("codex2claudecode", "uvicorn", "asyncio")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler
        wait_until(lambda: kiro_env.kiro.active == 0)
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
    bad = [r.getMessage() for r in handler.records if _unexpected(r, handler.expected)]
    assert not bad, bad
    if handler.rotated:
        saved = json.loads(kiro_env.ide.read_text())
        assert kiro_env.oauth.is_live(saved["refreshToken"])
    else:
        now = {path: path.read_bytes() if path.exists() else None for path in handler.files}
        assert now == handler.files


def _unexpected(record: logging.LogRecord, expected: list[str]) -> bool:
    if _fake_cut(record):
        return False
    if record.exc_info:
        return True
    message = record.getMessage()
    return record.levelno >= logging.ERROR and not any(part in message for part in expected)


def _fake_cut(record: logging.LogRecord) -> bool:
    # The fake drops a connection by raising in its handler; its server logs that.
    error = record.exc_info[1] if record.exc_info else None
    return isinstance(error, ConnectionAbortedError) and "fake kiro" in str(error)


def wait_until(condition: Callable[[], bool]) -> None:
    """Poll until `condition` holds; one that never holds fails by the per-test timeout."""
    while not condition():
        time.sleep(0.01)


def post(url: str, *, stream: bool, body: dict[str, Any] | None = None) -> httpx.Response:
    with httpx.Client(timeout=60) as client:
        return client.post(url + "/v1/messages", json={**(body or BODY), "stream": stream})


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    """(event name, data) per SSE block; a comment-only block is ("", {})."""
    out = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        out.append((fields.get("event", ""), json.loads(fields.get("data", "{}"))))
    return out


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert body["type"] == "error"
    error: dict[str, Any] = body["error"]
    return error


def last_event(response: httpx.Response) -> tuple[str, dict[str, Any]]:
    assert response.status_code == 200
    return sse_events(response.text)[-1]


# ---------------------------------------------------------------------- stalls


def test_a_stall_before_the_headers_is_a_first_event_timeout(
    kiro_env: KiroEnv, start: Start
) -> None:
    kiro_env.kiro.script(KiroReply(before_headers=3600))
    response = post(start(), stream=True)

    assert response.status_code == 529
    assert error_of(response) == {
        "type": "overloaded_error",
        "message": "Kiro sent no event within 1 s (STREAM_FIRST_EVENT_TIMEOUT_MS); try again",
    }
    assert len(kiro_env.kiro.generations()) == 1
    wait_until(lambda: kiro_env.kiro.cancelled == 1)


def test_no_first_frame_is_asked_again_then_given_up(kiro_env: KiroEnv, start: Start) -> None:
    kiro_env.kiro.script(
        KiroReply(first_byte_delay=3600), KiroReply(first_byte_delay=3600)
    )  # KIRO_FIRST_TOKEN_MAX_RETRIES=1: two attempts
    url = start(KIRO_FIRST_TOKEN_TIMEOUT_MS="300", STREAM_FIRST_EVENT_TIMEOUT_MS="5000")
    response = post(url, stream=True)

    assert response.status_code == 529
    assert error_of(response) == {
        "type": "overloaded_error",
        "message": "Kiro did not start answering within 0.3 s (2 attempts); retry shortly.",
    }
    assert len(kiro_env.kiro.generations()) == 2
    wait_until(lambda: kiro_env.kiro.cancelled == 2)


def test_a_first_frame_late_once_is_answered_by_the_second_attempt(
    kiro_env: KiroEnv, start: Start
) -> None:
    kiro_env.kiro.script(KiroReply(first_byte_delay=3600), KiroReply([text_answer("Hi again")]))
    url = start(KIRO_FIRST_TOKEN_TIMEOUT_MS="300", STREAM_FIRST_EVENT_TIMEOUT_MS="5000")
    response = post(url, stream=False)

    assert response.status_code == 200
    assert response.json()["content"] == [{"type": "text", "text": "Hi again"}]
    wait_until(lambda: kiro_env.kiro.cancelled == 1)


def test_a_stall_mid_stream_ends_in_an_error_event_with_pings_meanwhile(
    kiro_env: KiroEnv, start: Start
) -> None:
    kiro_env.kiro.script(KiroReply([HELLO, REST], stall_after=1))
    response = post(start(), stream=True)

    events = sse_events(response.text)
    names = [name for name, _ in events]
    assert names[0] == "message_start"
    assert "ping" in names[names.index("content_block_delta") :]
    assert events[-1] == (
        "error",
        {
            "type": "error",
            "error": {
                "type": "api_error",
                "message": "Kiro sent no event for 0.4 s (keep-alives do not count; "
                "STREAM_IDLE_TIMEOUT_MS); the stream was aborted",
            },
        },
    )
    wait_until(lambda: kiro_env.kiro.cancelled == 1)


def test_a_stall_mid_way_fails_a_non_streaming_request(kiro_env: KiroEnv, start: Start) -> None:
    kiro_env.kiro.script(KiroReply([HELLO, REST], stall_after=1))
    response = post(start(), stream=False)

    assert response.status_code == 502
    assert error_of(response) == {
        "type": "api_error",
        "message": "Kiro sent no event for 0.4 s (keep-alives do not count; "
        "STREAM_IDLE_TIMEOUT_MS); the stream was aborted",
    }
    wait_until(lambda: kiro_env.kiro.cancelled == 1)


def test_frames_that_are_no_progress_do_not_keep_a_stream_alive(
    kiro_env: KiroEnv, start: Start
) -> None:
    # contextUsageEvent carries no answer: an upstream sending only those is stalled.
    kiro_env.kiro.script(KiroReply([HELLO], then_forever=context_usage(2.5)))
    response = post(start(), stream=True)

    assert last_event(response)[1]["error"] == {
        "type": "api_error",
        "message": "Kiro sent no event for 0.4 s (keep-alives do not count; "
        "STREAM_IDLE_TIMEOUT_MS); the stream was aborted",
    }
    wait_until(lambda: kiro_env.kiro.cancelled == 1)


@pytest.mark.parametrize(
    "forever", [assistant_text("word "), context_usage(2.5)], ids=["text", "no-progress"]
)
def test_the_whole_answer_has_a_deadline(kiro_env: KiroEnv, start: Start, forever: bytes) -> None:
    kiro_env.kiro.script(KiroReply([HELLO], then_forever=forever))
    url = start(STREAM_IDLE_TIMEOUT_MS="0", STREAM_MAX_DURATION_MS="500")
    response = post(url, stream=True)

    assert last_event(response)[1]["error"] == {
        "type": "api_error",
        "message": "Kiro was still answering after 0.5 s, the longest an answer may take "
        "(STREAM_MAX_DURATION_MS); the stream was aborted",
    }
    wait_until(lambda: kiro_env.kiro.cancelled == 1)


# ---------------------------------------------------------------------- bad bytes

CORRUPT = "the upstream sent a corrupt event-stream frame at byte"


@pytest.mark.parametrize("stream", [True, False])
def test_garbage_instead_of_frames_is_a_502(kiro_env: KiroEnv, start: Start, stream: bool) -> None:
    kiro_env.kiro.script(KiroReply([b"<html>\x00\xff not an event stream</html>\n"]))
    response = post(start(), stream=stream)

    assert response.status_code == 502
    assert error_of(response) == {
        "type": "api_error",
        "message": f"{CORRUPT} 0: its prelude checksum does not match",
    }


def test_a_bad_checksum_mid_stream_ends_in_an_error_event(kiro_env: KiroEnv, start: Start) -> None:
    bad = flip_byte(assistant_text(" there"), -6)  # in the payload: the message CRC fails
    kiro_env.kiro.script(KiroReply([HELLO, bad, REST], frame_delay=0.05))
    response = post(start(), stream=True)

    assert last_event(response) == (
        "error",
        {
            "type": "error",
            "error": {
                "type": "api_error",
                "message": f"{CORRUPT} {len(HELLO)}: its message checksum does not match",
            },
        },
    )


@pytest.mark.parametrize("stream", [True, False])
def test_a_frame_cut_at_the_end_of_the_stream(
    kiro_env: KiroEnv, start: Start, stream: bool
) -> None:
    whole = HELLO + REST
    kiro_env.kiro.script(KiroReply([HELLO, whole[len(HELLO) : -5]], frame_delay=0.05))
    response = post(start(), stream=stream)

    left = len(whole) - 5 - len(HELLO) - len(assistant_text(" there"))
    message = (
        "the upstream event stream ended in the middle of a frame "
        f"({left} bytes of an incomplete frame at byte {len(whole) - 5 - left})"
    )
    if stream:
        assert last_event(response)[1]["error"] == {"type": "api_error", "message": message}
    else:
        assert response.status_code == 502
        assert error_of(response) == {"type": "api_error", "message": message}


@pytest.mark.parametrize("stream", [True, False])
def test_a_connection_dropped_mid_stream(kiro_env: KiroEnv, start: Start, stream: bool) -> None:
    kiro_env.kiro.script(KiroReply([HELLO, REST], cut_after=1, frame_delay=0.05))
    response = post(start(), stream=stream)

    message = "the connection to Kiro broke mid-stream (ClientPayloadError)"
    if stream:
        assert last_event(response)[1]["error"] == {"type": "api_error", "message": message}
    else:
        assert response.status_code == 502
        assert error_of(response) == {"type": "api_error", "message": message}


@pytest.mark.parametrize("split", [0, 65536], ids=["one-write", "many-reads"])
def test_a_huge_frame_goes_through(kiro_env: KiroEnv, start: Start, split: int) -> None:
    # Multi-MiB frames: web links with long excerpts (an event the answer does not show), and
    # a tool call writing a big file, whole in one toolUseEvent.
    links = [{"url": f"https://example.com/{i}", "snippet": "y" * 1024} for i in range(5 * 1024)]
    content = "x" * 100_000
    arguments = json.dumps({"path": "big.txt", "content": content})
    kiro_env.kiro.script(
        KiroReply(
            [
                event("supplementaryWebLinksEvent", {"supplementaryWebLinks": links})
                + tool_use("t1", "Write", arguments)
                + tool_use("t1", "Write", stop=True)
                + metadata("TOOL_USE", usage(12, 2))
            ],
            split=split,
        )
    )
    response = post(start(), stream=False, body={**BODY, "max_tokens": 64000, "tools": [WRITE]})

    assert response.status_code == 200
    assert response.json()["content"] == [
        {"type": "tool_use", "id": "t1", "name": "Write", "input": json.loads(arguments)}
    ]


@pytest.mark.parametrize("total", [17 * 1024 * 1024, 2**32 - 1])
def test_an_absurd_frame_length_is_refused_unread(
    kiro_env: KiroEnv, start: Start, total: int
) -> None:
    # Only the prelude comes, and the connection stays open: a parser that waited for (or
    # allocated) the declared bytes would hang here instead of answering.
    kiro_env.kiro.script(KiroReply([prelude(total), b"more"], stall_after=1))
    response = post(
        start(STREAM_IDLE_TIMEOUT_MS="0", STREAM_FIRST_EVENT_TIMEOUT_MS="0"), stream=False
    )

    assert response.status_code == 502
    assert error_of(response) == {
        "type": "api_error",
        "message": f"{CORRUPT} 0: it is {total} bytes, over the 16777216-byte limit",
    }
    wait_until(lambda: kiro_env.kiro.cancelled == 1)


# ---------------------------------------------------------------------- a refused token for ever


@pytest.mark.parametrize("status", [401, 403])
def test_a_token_refused_for_ever_spends_one_grant_at_most(
    kiro_env: KiroEnv, start: Start, watch: Watch, status: int
) -> None:
    kiro_env.kiro.accepts = lambda token: False
    kiro_env.kiro.rejects_with = status
    watch.rotated = True
    watch.expected.append("rejects even a freshly refreshed token")
    url = start()

    answers = [post(url, stream=stream) for stream in (False, True, False, True)]

    assert [a.status_code for a in answers] == [401] * 4
    assert all(error_of(a) == {"type": "authentication_error", "message": FUTILE} for a in answers)
    assert kiro_env.oauth.grants == 1

    # A new login in the account file ends the back-off (the file is checked once a second).
    login = kiro_env.oauth.login("social")
    kiro_env.kiro.accepts = lambda token: token == login.access_token
    saved = json.loads(kiro_env.ide.read_text())
    kiro_env.ide.write_text(
        json.dumps(
            {**saved, "accessToken": login.access_token, "refreshToken": login.refresh_token}
        )
    )
    kiro_env.kiro.responder = lambda _: KiroReply([text_answer("back")])
    wait_until(lambda: post(url, stream=False).status_code == 200)
    assert kiro_env.oauth.grants == 1


FUTILE = (
    "The Kiro upstream rejects even a freshly refreshed token of this account, so the gateway "
    "stops refreshing it. Sign in again, or check the account's access; the gateway retries as "
    "soon as the account file changes."
)


# ---------------------------------------------------------------------- proxies


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_proxy_407_is_a_proxy_authentication_problem(
    kiro_env: KiroEnv,
    start: Start,
    watch: Watch,
    proxy407: ProxyAsking407,
    capfd: pytest.CaptureFixture[str],
    scheme: str,
) -> None:
    proxy = f"http://alice:s3cret-pw@127.0.0.1:{proxy407.port}"
    base = kiro_env.kiro_url if scheme == "http" else "https://q.kiro.invalid"
    url = start(HTTP_PROXY=proxy, HTTPS_PROXY=proxy, KIRO_BASE_URL=base)

    response = post(url, stream=True)

    assert response.status_code == 401
    assert error_of(response) == {
        "type": "authentication_error",
        "message": f"The proxy http://***@127.0.0.1:{proxy407.port} refused the request: "
        "407 Proxy Authentication Required. Check the user name and password in "
        "HTTPS_PROXY / HTTP_PROXY (http://user:password@host:port).",
    }
    out, err = capfd.readouterr()
    assert "s3cret" not in out + err + watch.text()


# ---------------------------------------------------------------------- busy upstream


RATE = {"message": "Too many requests", "reason": "USER_REQUEST_RATE_EXCEEDED"}
DOWN = {"message": "Service unavailable"}
BUSY = {"message": "High volume of traffic", "reason": "INSUFFICIENT_MODEL_CAPACITY"}


@pytest.mark.parametrize(
    ("status", "body", "answered", "error"),
    [
        (
            429,
            RATE,
            429,
            {
                "type": "rate_limit_error",
                "message": "Kiro is throttling this account (the request rate limit); slow down "
                f"and retry. Kiro said: {json.dumps(RATE)}",
            },
        ),
        (
            503,
            DOWN,
            529,
            {
                "type": "overloaded_error",
                "message": f"Kiro is unavailable (503); retry later. {json.dumps(DOWN)}",
            },
        ),
        (
            429,
            BUSY,
            529,
            {
                "type": "overloaded_error",
                "message": "Kiro has no capacity for this model right now (high volume of "
                f"traffic); retry shortly or pick another model. Kiro said: {json.dumps(BUSY)}",
            },
        ),
    ],
    ids=["rate", "503", "capacity"],
)
@pytest.mark.parametrize("retry_after", ["17", None], ids=["retry-after", "none"])
def test_a_busy_kiro_keeps_its_retry_after_and_invents_none(
    kiro_env: KiroEnv,
    start: Start,
    status: int,
    body: dict[str, str],
    answered: int,
    error: dict[str, str],
    retry_after: str | None,
) -> None:
    headers = {"retry-after": retry_after} if retry_after else {}
    kiro_env.kiro.script(*[KiroReply(status=status, body=body, headers=headers)] * 4)
    response = post(start(STREAM_FIRST_EVENT_TIMEOUT_MS="30000"), stream=True)

    assert len(kiro_env.kiro.generations()) == 4  # asked again after 1, 2 and 4 s (spec §6.1)
    assert response.status_code == answered
    assert error_of(response) == error
    assert response.headers.get("retry-after") == retry_after


@pytest.mark.parametrize("retry_after", ["3600", None], ids=["retry-after", "none"])
def test_spent_credits_keep_kiros_retry_after_when_no_reset_is_known(
    kiro_env: KiroEnv, start: Start, retry_after: str | None
) -> None:
    kiro_env.kiro.usage_status = 500  # getUsageLimits cannot say when the credits come back
    headers = {"retry-after": retry_after} if retry_after else {}
    body = {"message": "Throttled by the service", "reason": "MONTHLY_REQUEST_COUNT"}
    kiro_env.kiro.script(KiroReply(status=429, body=body, headers=headers))
    response = post(start(), stream=False)

    assert len(kiro_env.kiro.generations()) == 1  # spent credits are not asked again
    assert response.status_code == 429
    assert error_of(response) == {
        "type": "rate_limit_error",
        "message": "The Kiro account kiro-google-us-east-1-social has used up the monthly "
        "request (credit) limit; wait for its reset or switch account.",
    }
    assert response.headers.get("retry-after") == retry_after


# ---------------------------------------------------------------------- clients that leave


def request_bytes(url: str, *, stream: bool) -> bytes:
    body = json.dumps({**BODY, "stream": stream}).encode()
    host = url.removeprefix("http://")
    return (
        f"POST /v1/messages HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def test_a_stream_left_before_the_first_frame_cancels_kiro(kiro_env: KiroEnv, start: Start) -> None:
    kiro_env.kiro.script(KiroReply(first_byte_delay=3600))
    url = start(STREAM_FIRST_EVENT_TIMEOUT_MS="0")
    with connect(url) as sock:
        sock.sendall(request_bytes(url, stream=True))
        wait_until(lambda: len(kiro_env.kiro.generations()) == 1)
    wait_until(lambda: kiro_env.kiro.cancelled == 1)


def test_a_stream_left_after_some_frames_cancels_kiro(kiro_env: KiroEnv, start: Start) -> None:
    kiro_env.kiro.script(KiroReply([HELLO, REST], stall_after=1))
    url = start(STREAM_IDLE_TIMEOUT_MS="0")
    with connect(url) as sock:
        sock.sendall(request_bytes(url, stream=True))
        seen = b""
        while b"content_block_delta" not in seen:
            seen += sock.recv(65536)
    wait_until(lambda: kiro_env.kiro.cancelled == 1)


def test_a_non_streaming_request_left_mid_way_cancels_kiro(kiro_env: KiroEnv, start: Start) -> None:
    kiro_env.kiro.script(KiroReply([HELLO, REST], stall_after=1))
    url = start(STREAM_IDLE_TIMEOUT_MS="0")
    with connect(url) as sock:
        sock.sendall(request_bytes(url, stream=False))
        wait_until(lambda: kiro_env.kiro.frames_sent == 1)
    wait_until(lambda: kiro_env.kiro.cancelled == 1)


# ---------------------------------------------------------------------- losing a login


def expire_login(kiro_env: KiroEnv, watch: Watch) -> None:
    """The IDE's login with its access token expired: the next request refreshes it."""
    saved = json.loads(kiro_env.ide.read_text())
    saved["expiresAt"] = format_expiry(time.time() - 10)
    kiro_env.ide.write_text(json.dumps(saved))
    watch.keep(*watch.files)


REFUSED = os.strerror(errno.EPERM if os.geteuid() == 0 else errno.EACCES)
"""Why `taking_no_files` directories refuse files: immutable for root, read-only for others."""


@contextmanager
def taking_no_files(directory: Path) -> Iterator[None]:
    """`directory` refuses new files, for root too (immutable), as a full disk would."""
    if os.geteuid() != 0:
        directory.chmod(0o555)
        undo = ["chmod", "0755", str(directory)]
    else:
        done = subprocess.run(["chattr", "+i", str(directory)], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"cannot make {directory} immutable: {done.stderr.decode().strip()}")
        undo = ["chattr", "-i", str(directory)]
    try:
        yield
    finally:
        subprocess.run(undo, check=True)


def test_a_slow_grant_is_not_lost_when_the_request_gives_up(
    kiro_env: KiroEnv, start: Start, watch: Watch
) -> None:
    expire_login(kiro_env, watch)
    watch.rotated = True
    kiro_env.oauth.grant_delay = 2.0  # longer than the first-event timeout
    url = start()

    response = post(url, stream=True)

    assert response.status_code == 529
    assert error_of(response) == {
        "type": "overloaded_error",
        "message": "Kiro sent no event within 1 s (STREAM_FIRST_EVENT_TIMEOUT_MS); try again",
    }
    # The grant goes on without the request, and its new tokens are saved.
    wait_until(lambda: "-2-REFRESH" in kiro_env.ide.read_text())
    kiro_env.oauth.grant_delay = 0.0
    assert post(url, stream=False).json()["content"] == [
        {"type": "text", "text": "Hello from Kiro."}
    ]
    assert kiro_env.oauth.grants == 1


def test_garbage_from_the_token_endpoint_spends_nothing(
    kiro_env: KiroEnv, start: Start, watch: Watch
) -> None:
    expire_login(kiro_env, watch)
    before = kiro_env.ide.read_bytes()
    for _ in range(2):  # the model list asks first, then the generation again
        kiro_env.oauth.fail_next(200, "<html>\x00 not a token answer</html>")
    response = post(start(), stream=True)

    assert response.status_code == 502
    assert error_of(response) == {
        "type": "api_error",
        "message": "The Kiro Desktop Auth token endpoint answered without an access token.",
    }
    assert kiro_env.ide.read_bytes() == before
    assert kiro_env.oauth.is_live(kiro_env.login.refresh_token)


def test_new_tokens_that_cannot_be_saved_are_kept_and_rescued(
    kiro_env: KiroEnv, start: Start, watch: Watch
) -> None:
    expire_login(kiro_env, watch)
    before = kiro_env.ide.read_bytes()
    watch.rotated = True
    watch.expected.append("could NOT be saved")
    url = start()

    with taking_no_files(kiro_env.ide.parent):
        answers = [post(url, stream=stream) for stream in (False, True)]

    assert [a.status_code for a in answers] == [200, 200]
    assert kiro_env.oauth.grants == 1  # the second request used the kept tokens
    assert kiro_env.ide.read_bytes() == before
    rescues = list((kiro_env.root / "state").glob("kiro-state.json.rescue-*.json"))
    assert len(rescues) == 1
    assert stat.S_IMODE(rescues[0].stat().st_mode) == 0o600
    rescued = rescues[0].read_text()
    fresh = kiro_env.kiro.generations()[-1].headers["authorization"].removeprefix("Bearer ")
    assert fresh in rescued
    assert "could NOT be saved" in watch.text() and fresh not in watch.text()
    assert kiro_env.oauth.is_live(json.loads(rescued)["refresh_token"])
    # Once the file can be written again, the gateway saves them at exit (`settle`).
    watch.files = {}


def test_no_grant_is_spent_when_the_state_directory_takes_no_files(
    kiro_env: KiroEnv, start: Start, watch: Watch
) -> None:
    url = start()
    assert post(url, stream=False).status_code == 200  # the gateway is up, its files open
    expire_login(kiro_env, watch)
    before = kiro_env.ide.read_bytes()
    state = kiro_env.root / "state"
    state.mkdir(exist_ok=True)
    watch.expected.append("does not take new files")

    with taking_no_files(state):
        wait_until(lambda: post(url, stream=False).status_code != 200)  # the file is re-read
        response = post(url, stream=True)

    assert kiro_env.oauth.grants == 0
    assert kiro_env.oauth.is_live(kiro_env.login.refresh_token)
    assert response.status_code == 503
    assert error_of(response) == {
        "type": "api_error",
        "message": f"The Kiro login cannot be refreshed: {state} does not take new files "
        f"({REFUSED}). Free disk space or make it writable; until then the "
        "gateway keeps the refresh token unspent.",
    }
    assert kiro_env.ide.read_bytes() == before

"""Issue 10: hostile clients, injected byte for byte on real sockets against the real server.

Each case asserts the exact answer the client sees; the `survives` fixture then checks that no
traceback was logged, no upstream request was left running and the account file is intact.
"""

from __future__ import annotations

import json
import socket
import threading
import time

import anthropic
import httpx
import pytest

from codex2claudecode.server.protocol import ConnectionLimits
from tests.e2e.conftest import Env
from tests.fakes.codex import Reply
from tests.fakes.responses_events import text_answer
from tests.faults.conftest import Start, connect, head_of, read_all, wait_until

pytestmark = [pytest.mark.timeout(60), pytest.mark.usefixtures("survives")]

BODY = b'{"model":"gpt-5.4","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}'


def send_raw(url: str, data: bytes) -> tuple[int, dict[str, str], bytes]:
    with connect(url) as sock:
        sock.sendall(data)
        return head_of(read_all(sock))


def request(head: str, body: bytes = b"") -> bytes:
    """A request from header lines (`\\n`-separated), closing the connection after it."""
    text = head.strip("\n") + "\nConnection: close\n\n"
    return text.replace("\n", "\r\n").encode("latin-1") + body


def post(headers: str, body: bytes = BODY) -> bytes:
    return request(
        f"POST /v1/messages HTTP/1.1\n{headers}\nContent-Length: {len(body)}".replace("\n\n", "\n"),
        body,
    )


# (name, raw request, status, Anthropic error type or None for a plain-text answer, fragment)
REFUSALS = [
    (
        "foreign origin, text/plain body",
        post("Host: 127.0.0.1\nOrigin: http://evil.example\nContent-Type: text/plain"),
        403,
        "permission_error",
        "ALLOWED_ORIGINS",
    ),
    (
        "DNS rebinding host",
        post("Host: rebind.attacker.example:8787\nContent-Type: application/json"),
        403,
        "permission_error",
        "ALLOWED_HOSTS",
    ),
    (
        "text/plain body without origin",
        post("Host: localhost\nContent-Type: text/plain"),
        415,
        "invalid_request_error",
        "application/json",
    ),
    (
        "50 MB announced, never sent",
        request(
            "POST /v1/messages HTTP/1.1\nHost: localhost\nContent-Type: application/json\n"
            "Content-Length: 50000000"
        ),
        413,
        "request_too_large",
        "MAX_REQUEST_BODY_BYTES",
    ),
    (
        "200 header lines",
        post("Host: localhost\nContent-Type: application/json\n" + "X-A: b\n" * 200),
        431,
        "invalid_request_error",
        "too many header lines",
    ),
    (
        "one 8 MB header",
        post("Host: localhost\nX-Big: " + "a" * 8_000_000),
        431,
        None,
        "exceed 65536 bytes",
    ),
    (
        "100k headers",
        post("Host: localhost\n" + "X-A: b\n" * 100_000),
        431,
        None,
        "exceed 65536 bytes",
    ),
    (
        "not HTTP",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\0" * 64,
        400,
        None,
        "Invalid",
    ),
]


@pytest.mark.parametrize(
    ("data", "status", "error_type", "fragment"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
def test_a_hostile_request_gets_its_exact_refusal(
    env: Env, gateway: str, data: bytes, status: int, error_type: str | None, fragment: str
) -> None:
    try:
        got, headers, body = send_raw(gateway, data)
    except ConnectionResetError:
        pytest.fail("the gateway reset the connection instead of answering")
    assert got == status, body[:300]
    if error_type is None:
        assert headers["content-type"] == "text/plain; charset=utf-8"
        assert fragment in body.decode()
    else:
        error = json.loads(body)
        assert error["type"] == "error"
        assert error["error"]["type"] == error_type
        assert fragment in error["error"]["message"]
        assert error["request_id"] == headers["request-id"]
    assert not [name for name in headers if name.startswith("access-control-")]
    assert env.fake.requests == []
    assert httpx.get(gateway + "/health").status_code == 200  # and the gateway still answers


def test_a_refused_body_is_never_read(gateway: str) -> None:
    """Six parallel 50 MB uploads: each refused from its Content-Length, before a body byte."""
    head = request(
        "POST /v1/messages HTTP/1.1\nHost: localhost\nContent-Type: application/json\n"
        "Content-Length: 50000000"
    )
    socks = [connect(gateway) for _ in range(6)]
    for sock in socks:
        sock.sendall(head)
    answers = [head_of(read_all(sock)) for sock in socks]
    for sock in socks:
        sock.close()
    assert [status for status, _, _ in answers] == [413] * 6
    assert all(headers["connection"] == "close" for _, headers, _ in answers)


def test_a_chunked_body_past_the_cap_is_cut_off(env: Env, gateways: Start) -> None:
    small = gateways(MAX_REQUEST_BODY_BYTES="4096")
    head = "POST /v1/messages HTTP/1.1\nHost: localhost\nContent-Type: application/json\n"
    chunked = head + "Transfer-Encoding: chunked"
    big = b"1000\r\n" + b" " * 4096 + b"\r\n" + b"10\r\n" + b" " * 16 + b"\r\n0\r\n\r\n"
    status, _, body = send_raw(small, request(chunked, big))
    assert status == 413
    assert "4096 bytes" in json.loads(body)["error"]["message"]
    # At the cap exactly, the body is read and parsed (and found not to be JSON).
    status, _, body = send_raw(small, request(head + "Content-Length: 4096", b" " * 4096))
    assert status == 400


# ------------------------------------------------------------------------------ slow senders


def test_slow_senders_are_cut_off_and_others_are_still_served(gateways: Start) -> None:
    """200 connections sending a byte at a time, and 20 sending nothing: all are closed after
    the head timeout (0.5 s here), with a 408 for those that began a request."""
    gateway = gateways(ConnectionLimits(max_connections=400, head_timeout=0.5))
    slow = [connect(gateway) for _ in range(200)]
    idle = [connect(gateway) for _ in range(20)]
    stop = threading.Event()

    def drip() -> None:
        line = b"POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nX-Slow: "
        for i in range(len(line) + 10_000):
            if stop.is_set():
                return
            for sock in list(slow):
                try:
                    sock.send(line[i : i + 1] or b"a")
                except OSError:
                    slow.remove(sock)
            stop.wait(0.05)

    dripping = threading.Thread(target=drip)
    dripping.start()
    try:
        assert httpx.get(gateway + "/health").status_code == 200  # served meanwhile
        answers = [read_all(sock) for sock in list(slow)]
        stop.set()
    finally:
        stop.set()
        dripping.join()
    assert answers and all(a.startswith(b"HTTP/1.1 408 Request Timeout\r\n") for a in answers)
    assert [read_all(sock) for sock in idle] == [b""] * 20
    for sock in [*slow, *idle]:
        sock.close()


def test_connections_beyond_the_limit_are_refused_not_queued(gateways: Start) -> None:
    url = gateways(ConnectionLimits(max_connections=8, head_timeout=30))
    held = [connect(url) for _ in range(8)]
    try:
        with connect(url) as extra:
            status, _, body = head_of(read_all(extra))
        assert status == 503
        assert b"MAX_CONNECTIONS" in body
    finally:
        for sock in held:
            sock.close()
    # Once they are gone, requests are served again.
    wait_until(lambda: _health(url) == 200)


def _health(url: str) -> int:
    try:
        return httpx.get(url + "/health").status_code
    except httpx.HTTPError:
        return 0


# ------------------------------------------------------------------------------ early disconnects


@pytest.mark.parametrize(
    ("stream", "stall_after"),
    [(False, 0), (False, 2), (True, 0), (True, 3)],
    ids=[
        "non-stream, before any event",
        "non-stream, mid-answer",
        "stream, before the first event",
        "stream, mid-stream",
    ],
)
def test_a_client_that_leaves_cancels_the_upstream_request(
    env: Env, gateway: str, stream: bool, stall_after: int
) -> None:
    env.fake.script(Reply(events=text_answer("never finished"), stall_after=stall_after))
    body = json.dumps(
        {
            "model": "gpt-5.4",
            "max_tokens": 16,
            "stream": stream,
            "messages": [{"role": "user", "content": "hi"}],
        }
    ).encode()
    sock = connect(gateway)
    sock.sendall(
        request(
            f"POST /v1/messages HTTP/1.1\nHost: localhost\nContent-Type: application/json\n"
            f"Content-Length: {len(body)}",
            body,
        )
    )
    wait_until(lambda: env.fake.active == 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
    sock.close()
    wait_until(lambda: env.fake.cancelled == 1 and env.fake.active == 0)


@pytest.mark.parametrize("linger", [True, False], ids=["reset", "closed"])
def test_a_client_that_leaves_after_a_large_body_cancels_the_upstream_request(
    env: Env, gateway: str, linger: bool
) -> None:
    """A body larger than the server's read buffer pauses reading the connection: the gateway
    must read it again while the answer is awaited, or a client that closes (rather than
    resets) goes unnoticed and the upstream request runs on."""
    env.fake.script(Reply(events=text_answer("never finished"), stall_after=2))
    body = json.dumps(
        {
            "model": "gpt-5.4",
            "max_tokens": 16,
            "messages": [{"role": "user", "content": "x" * 400_000}],
        }
    ).encode()
    sock = connect(gateway)
    sock.sendall(
        b"POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body) + body
    )
    wait_until(lambda: env.fake.active == 1)
    if linger:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
    sock.close()
    wait_until(lambda: env.fake.cancelled == 1 and env.fake.active == 0)


def test_a_later_head_has_its_own_time(env: Env, gateways: Start) -> None:
    """On a kept-alive connection each head has the head timeout from its first byte: one
    that ends after the connection's first deadline, but in time for its own, is answered; one
    that stalls gets its 408."""
    env.fake.script(Reply(events=text_answer("one")), Reply(events=text_answer("two")))
    gateway = gateways(ConnectionLimits(max_connections=64, head_timeout=2.0))
    head = b"POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
    whole = head + b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY
    with connect(gateway) as sock:
        sock.sendall(whole)
        assert b"one" in _one_answer(sock)
        time.sleep(1.2)
        sock.sendall(head)  # 1.2 s after the connection opened, the second head begins ...
        time.sleep(1.2)
        sock.sendall(whole[len(head) :])  # ... and ends 2.4 s after it: in time for its own
        assert b"two" in _one_answer(sock)
        sock.sendall(head)
        status, _, _ = head_of(read_all(sock))
    assert status == 408


def _one_answer(sock: socket.socket) -> bytes:
    """One response with a Content-Length, read off a connection that stays open."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    _, headers, body = head_of(data)
    while len(body) < int(headers["content-length"]):
        body += sock.recv(65536)
    return body


@pytest.mark.parametrize("size", [5000, 40_000_000])
def test_an_sdk_sending_too_much_reads_the_413(env: Env, gateways: Start, size: int) -> None:
    small = gateways(MAX_REQUEST_BODY_BYTES="4096")
    with (
        anthropic.Anthropic(base_url=small, api_key="any", max_retries=0) as client,
        pytest.raises(anthropic.APIStatusError) as caught,
    ):
        client.messages.create(
            model="gpt-5.4", max_tokens=16, messages=[{"role": "user", "content": "x" * size}]
        )
    assert caught.value.status_code == 413
    assert "4096 bytes" in caught.value.message
    assert env.fake.requests == []

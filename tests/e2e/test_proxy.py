"""HTTP(S)_PROXY and NO_PROXY really steer the gateway's upstream calls, token refresh included.

The upstream hosts are unresolvable (`*.invalid`), so a call that does not go through the
loopback forward proxy below cannot succeed.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import anthropic
import pytest

from tests.e2e.conftest import ACCOUNT_ID, Env, GatewayFactory
from tests.fakes.codex import Reply
from tests.fakes.responses_events import text_answer

HOP_BY_HOP = {"connection", "proxy-connection", "keep-alive", "proxy-authorization"}
MESSAGE = {"model": "gpt-5.4", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}


class ForwardProxy:
    """A loopback HTTP forward proxy.

    Absolute-form requests (`POST http://host/path`) for a host in `routes` are sent on to that
    host's real address, one request per connection; `CONNECT` is recorded and refused.
    `requests` lists every request line's method and target.
    """

    def __init__(self, routes: dict[str, str]) -> None:
        self.routes = routes
        self.requests: list[str] = []
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                with contextlib.suppress(OSError):
                    proxy._handle(self.request)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    @contextlib.contextmanager
    def running(self) -> Iterator[ForwardProxy]:
        thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join(5)

    def _handle(self, client: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = client.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, version = request_line.split(" ")
        self.requests.append(f"{method} {target}")
        url = urlsplit(target)
        address = self.routes.get(url.netloc)
        if method == "CONNECT" or address is None:
            client.sendall(
                b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            )
            return
        headers = [
            line for line in header_lines if line.partition(":")[0].lower() not in HOP_BY_HOP
        ]
        path = url.path + (f"?{url.query}" if url.query else "")
        forwarded = "\r\n".join([f"{method} {path} {version}", *headers, "connection: close"])
        host, _, port = address.partition(":")
        with socket.create_connection((host, int(port)), timeout=10) as upstream:
            upstream.sendall(forwarded.encode("latin-1") + b"\r\n\r\n" + rest)
            pump = threading.Thread(target=_pipe, args=(client, upstream), daemon=True)
            pump.start()
            _pipe(upstream, client)


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while chunk := source.recv(65536):
            sink.sendall(chunk)


def netloc(url: str) -> str:
    return urlsplit(url).netloc


@pytest.fixture
def proxy(env: Env) -> Iterator[ForwardProxy]:
    routes = {
        "chatgpt.invalid": netloc(env.fake_url),
        "auth.invalid": netloc(env.oauth_url),
        netloc(env.fake_url): netloc(env.fake_url),
        netloc(env.oauth_url): netloc(env.oauth_url),
    }
    with ForwardProxy(routes).running() as running:
        yield running


def expiring_account(env: Env) -> None:
    """An account whose access token expires within the refresh margin: the next call refreshes."""
    tokens = env.oauth.login(account_id=ACCOUNT_ID, email="e2e@example.com", expires_in=60)
    env.write_account(tokens.access_token, refresh=tokens.refresh_token, expires_in=60)


def ask(url: str) -> str:
    with anthropic.Anthropic(base_url=url, api_key="x", max_retries=0) as client:
        block = client.messages.create(**MESSAGE).content[0]  # type: ignore[call-overload]
    assert block.type == "text"
    text: str = block.text
    return text


def test_generation_and_token_refresh_go_through_the_proxy(
    env: Env, start_gateway: GatewayFactory, proxy: ForwardProxy
) -> None:
    expiring_account(env)
    env.fake.script(Reply(events=text_answer("via proxy")))
    url = start_gateway(
        CHATGPT_BASE_URL="http://chatgpt.invalid/backend-api",
        OPENAI_AUTH_URL="http://auth.invalid",
        HTTP_PROXY=proxy.url,
    )
    assert ask(url) == "via proxy"
    assert proxy.requests == [
        "POST http://auth.invalid/oauth/token",
        "POST http://chatgpt.invalid/backend-api/codex/responses",
    ]
    assert env.oauth.grants == 1
    [call] = env.fake.requests
    assert env.oauth.is_current(call.headers["authorization"].removeprefix("Bearer "))


def test_an_https_upstream_goes_through_https_proxy(
    env: Env, start_gateway: GatewayFactory, proxy: ForwardProxy
) -> None:
    url = start_gateway(
        CHATGPT_BASE_URL="https://chatgpt.invalid/backend-api", HTTPS_PROXY=proxy.url
    )
    with (
        anthropic.Anthropic(base_url=url, api_key="x", max_retries=0) as client,
        pytest.raises(anthropic.APIStatusError) as caught,
    ):
        client.messages.create(**MESSAGE)  # type: ignore[call-overload]
    assert caught.value.status_code >= 500
    assert "cannot reach the ChatGPT backend" in caught.value.message, caught.value.message
    assert proxy.requests == ["CONNECT chatgpt.invalid:443"]
    assert env.fake.requests == []


TOKEN_CALL = "POST {oauth}/oauth/token"
CODEX_CALL = "POST {codex}/codex/responses"


@pytest.mark.parametrize(
    ("no_proxy", "proxied"),
    [
        ("", [TOKEN_CALL, CODEX_CALL]),  # the control: without NO_PROXY, loopback is proxied too
        ("127.0.0.1", []),
        ("localhost,{codex_host_port}", [TOKEN_CALL]),
    ],
)
def test_no_proxy_bypasses_the_proxy(
    env: Env,
    start_gateway: GatewayFactory,
    proxy: ForwardProxy,
    no_proxy: str,
    proxied: list[str],
) -> None:
    expiring_account(env)
    env.fake.script(Reply(events=text_answer("answer")))
    names = {"oauth": env.oauth_url, "codex": env.fake_url, "codex_host_port": netloc(env.fake_url)}
    url = start_gateway(HTTP_PROXY=proxy.url, NO_PROXY=no_proxy.format(**names))
    assert ask(url) == "answer"
    assert env.oauth.grants == 1
    assert proxy.requests == [line.format(**names) for line in proxied]

"""Issue 9 item 4: no route to the upstream is a 502 api_error that says so and names
HTTPS_PROXY; 529 overloaded_error stays for an upstream that really is overloaded."""

from __future__ import annotations

import socket

import httpx

from tests.e2e.conftest import Env, GatewayFactory
from tests.fakes.codex import Reply

MESSAGE = {"model": "gpt-5.4", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _error(url: str) -> tuple[int, dict[str, str]]:
    r = httpx.post(url + "/v1/messages", json=MESSAGE, timeout=30)
    body = r.json()
    assert body["type"] == "error"
    return r.status_code, body["error"]


def test_a_name_that_does_not_resolve(start_gateway: GatewayFactory) -> None:
    url = start_gateway(CHATGPT_BASE_URL="http://chatgpt.invalid/backend-api")
    status, error = _error(url)
    assert status == 502
    assert error["type"] == "api_error"
    assert error["message"].startswith(
        "cannot reach the ChatGPT backend at chatgpt.invalid: the name chatgpt.invalid does "
        "not resolve (DNS: "
    )
    assert error["message"].endswith(
        "check the network connection; behind a proxy, set HTTPS_PROXY (and NO_PROXY)."
    )


def test_a_refused_connection(start_gateway: GatewayFactory) -> None:
    port = _closed_port()
    url = start_gateway(CHATGPT_BASE_URL=f"http://127.0.0.1:{port}/backend-api")
    status, error = _error(url)
    assert status == 502 and error["type"] == "api_error"
    assert error["message"].startswith(
        "cannot reach the ChatGPT backend at 127.0.0.1: the connection failed ("
    )
    assert "HTTPS_PROXY" in error["message"]


def test_a_dead_proxy_is_named_without_its_credentials(start_gateway: GatewayFactory) -> None:
    port = _closed_port()
    url = start_gateway(
        CHATGPT_BASE_URL="https://chatgpt.invalid/backend-api",
        HTTPS_PROXY=f"http://user:pa55@127.0.0.1:{port}",
    )
    status, error = _error(url)
    assert status == 502 and error["type"] == "api_error"
    assert error["message"].startswith(
        f"cannot reach the ChatGPT backend at chatgpt.invalid through the proxy 127.0.0.1:{port}"
    )
    assert error["message"].endswith("check that the proxy (HTTPS_PROXY) is running and reachable.")
    assert "pa55" not in error["message"]


def test_real_overload_keeps_529(env: Env, start_gateway: GatewayFactory) -> None:
    env.fake.script(Reply(status=529, body={"detail": "busy"}))
    status, error = _error(start_gateway())
    assert status == 529
    assert error["type"] == "overloaded_error"

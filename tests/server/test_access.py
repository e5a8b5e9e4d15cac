"""Issue 10, critical: a web page must not be able to use the gateway (Origin, Host, CORS).

Before: every response carried `Access-Control-Allow-Origin: *`, OPTIONS answered 204 anywhere,
and neither Host nor Origin was checked, so any page could POST a text/plain body to
/v1/messages and read the answer, or read /usage; DNS rebinding worked too.
"""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import httpx
import pytest

from codex2claudecode.cli import build_gateway
from codex2claudecode.config import Config
from codex2claudecode.server.access import AccessPolicy
from tests.e2e.conftest import Env
from tests.fakes.codex import Reply
from tests.fakes.responses_events import text_answer
from tests.fakes.server import run_app
from tests.server.conftest import PASSWORD

BODY = b'{"model":"gpt-5.4","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}'
APP_ORIGIN = "http://localhost:3000"


@pytest.fixture(scope="module")
def with_app_origin(shared_env: Env) -> Iterator[str]:
    """A password-protected gateway that lets one web app in (ALLOWED_ORIGINS)."""
    env = shared_env.env(API_PASSWORD=PASSWORD, ALLOWED_ORIGINS=f"{APP_ORIGIN}/, https://b.dev")
    with run_app(build_gateway(Config.load(env)).app) as url:
        yield url


def assert_refused(r: httpx.Response, status: int, fragment: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["type"] == "error"
    assert body["request_id"] == r.headers["request-id"]
    assert fragment in body["error"]["message"]
    assert not [name for name in r.headers if name.startswith("access-control-")]


# ------------------------------------------------------------------------------ Origin


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://localhost:3001"])
def test_a_web_page_cannot_post_a_text_plain_message(
    env: Env, unprotected: str, origin: str
) -> None:
    r = httpx.post(
        unprotected + "/v1/messages",
        content=BODY,
        headers={"origin": origin, "content-type": "text/plain;charset=UTF-8"},
    )
    assert_refused(r, 403, "ALLOWED_ORIGINS")
    assert r.json()["error"]["type"] == "permission_error"
    assert env.fake.requests == []


def test_a_web_page_cannot_read_the_account_usage(env: Env, unprotected: str) -> None:
    r = httpx.get(unprotected + "/usage", headers={"origin": "https://evil.example"})
    assert_refused(r, 403, "ALLOWED_ORIGINS")
    assert env.fake.requests == []


def test_a_preflight_from_a_page_is_refused(unprotected: str) -> None:
    r = httpx.options(
        unprotected + "/v1/messages",
        headers={"origin": "http://evil.example", "access-control-request-method": "POST"},
    )
    assert_refused(r, 403, "ALLOWED_ORIGINS")


def test_options_without_origin_is_routed_like_any_method(unprotected: str) -> None:
    r = httpx.options(unprotected + "/v1/messages")
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"


def test_an_allowed_origin_gets_its_preflight_without_a_key(with_app_origin: str) -> None:
    r = httpx.options(
        with_app_origin + "/v1/messages",
        headers={
            "origin": APP_ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type",
        },
    )
    assert r.status_code == 204
    assert r.content == b""
    assert r.headers["access-control-allow-origin"] == APP_ORIGIN
    assert r.headers["access-control-allow-headers"] == "authorization, content-type"
    assert "POST" in r.headers["access-control-allow-methods"]
    assert r.headers["vary"] == "origin"


def test_an_allowed_origin_reads_answers_with_its_own_cors_header(
    env: Env, with_app_origin: str
) -> None:
    env.fake.script(Reply(events=text_answer("hello page")))
    r = httpx.post(
        with_app_origin + "/v1/messages",
        content=BODY,
        headers={"origin": APP_ORIGIN, "x-api-key": PASSWORD, "content-type": "application/json"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["content"][0]["text"] == "hello page"
    assert r.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "request-id" in r.headers["access-control-expose-headers"]
    # The key is still required from an allowed page; its refusal carries CORS so it can read it.
    refused = httpx.post(
        with_app_origin + "/v1/messages", content=BODY, headers={"origin": APP_ORIGIN}
    )
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == APP_ORIGIN


def test_sdk_clients_send_no_origin_and_get_no_cors_headers(env: Env, unprotected: str) -> None:
    env.fake.script(Reply(events=text_answer("sdk")))
    with anthropic.Anthropic(base_url=unprotected, api_key="any", max_retries=0) as client:
        raw = client.messages.with_raw_response.create(
            model="gpt-5.4", max_tokens=16, messages=[{"role": "user", "content": "hi"}]
        )
    assert raw.parse().content[0].text == "sdk"  # type: ignore[union-attr]
    assert not [name for name in raw.headers if name.startswith("access-control-")]


# ------------------------------------------------------------------------------ JSON only


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_the_api_routes_take_json_bodies_only(
    env: Env, unprotected: str, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    for path in ("/v1/messages", "/v1/messages/count_tokens"):
        r = httpx.post(unprotected + path, content=BODY, headers=headers)
        assert_refused(r, 415, "Content-Type: application/json")
    assert env.fake.requests == []


def test_json_with_parameters_is_json(unprotected: str) -> None:
    r = httpx.post(
        unprotected + "/v1/messages/count_tokens",
        content=BODY,
        headers={"content-type": "Application/JSON; charset=utf-8"},
    )
    assert r.status_code == 200


# ------------------------------------------------------------------------------ Host


@pytest.mark.parametrize("path", ["/v1/messages", "/usage", "/health", "/"])
def test_dns_rebinding_is_refused(env: Env, unprotected: str, path: str) -> None:
    r = httpx.request(
        "POST" if path == "/v1/messages" else "GET",
        unprotected + path,
        content=BODY,
        headers={"host": "rebind.attacker.example", "content-type": "application/json"},
    )
    assert_refused(r, 403, "ALLOWED_HOSTS")
    assert "rebind.attacker.example" in r.json()["error"]["message"]
    assert env.fake.requests == []


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST:8787", "127.0.0.1", "127.0.0.1:1", "[::1]", "[::1]:8787"]
)
def test_the_loopback_names_are_answered(unprotected: str, host: str) -> None:
    assert httpx.get(unprotected + "/health", headers={"host": host}).status_code == 200


HOSTS = [
    # (bind host, ALLOWED_HOSTS, Host header, allowed)
    ("127.0.0.1", "", b"localhost:8787", True),
    ("127.0.0.1", "", b"127.0.0.2", False),
    ("127.0.0.1", "", b"localhost.attacker.example", False),
    ("127.0.0.1", "", b"192.168.1.5:8787", False),
    ("127.0.0.1", "gateway.lan", b"Gateway.LAN:8787", True),
    ("127.0.0.1", "gateway.lan", b"other.lan", False),
    ("192.168.1.5", "", b"192.168.1.5:8787", True),
    ("::1", "", b"[::1]:8787", True),
    ("fd00::5", "", b"[fd00::5]:8787", True),
    ("0.0.0.0", "", b"10.1.2.3:8787", True),  # any interface: address literals cannot rebind
    ("0.0.0.0", "", b"[fe80::1]:8787", True),
    ("0.0.0.0", "", b"mybox.local:8787", False),
    ("0.0.0.0", "mybox.local", b"mybox.local:8787", True),
    ("0.0.0.0", "", b"\xff\xfe", False),
]


@pytest.mark.parametrize(("bind", "allowed", "host", "expected"), HOSTS)
def test_host_rules(bind: str, allowed: str, host: bytes, expected: bool) -> None:
    env = {"HOME": "/nonexistent", "HOST": bind, "API_PASSWORD": "pw", "ALLOWED_HOSTS": allowed}
    policy = AccessPolicy(Config.load(env))
    assert policy.host_allowed(host) is expected
    assert policy.host_allowed(host) is expected  # judged once, then remembered


def test_a_request_without_host_is_answered(unprotected: str) -> None:
    from tests.server.conftest import raw_request

    status, _, _ = raw_request(unprotected, "GET /health HTTP/1.0\n")
    assert status == 200

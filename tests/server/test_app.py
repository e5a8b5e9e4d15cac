"""The app shell over real HTTP: probes, routing errors, bad bodies, handler bugs, life cycle."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.requests import Request

from codex2claudecode import __version__, errors
from codex2claudecode.asgi import BodyResponse
from codex2claudecode.config import Config
from codex2claudecode.frontends.anthropic.errors import render_error
from codex2claudecode.frontends.dialect import Dialect, Route
from codex2claudecode.server.app import create_app
from tests.fakes.server import run_app
from tests.server.conftest import PASSWORD, raw_request

FIXTURES = Path(__file__).parents[1] / "fixtures" / "claude-code"
KEY = {"x-api-key": PASSWORD}


def assert_error(response: httpx.Response, status: int, error_type: str) -> str:
    """Checks the Anthropic error shape; returns the message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"type", "error", "request_id"}
    assert body["type"] == "error"
    assert body["error"]["type"] == error_type
    assert body["request_id"] == response.headers["request-id"]
    message = body["error"]["message"]
    assert isinstance(message, str) and message
    return message


# ------------------------------------------------------------------------------ probes


def test_claude_codes_first_probe_is_answered_without_auth(protected: str) -> None:
    """Claude Code opens every run with a bare `HEAD /` (no key) even when a password is set."""
    captured = json.loads((FIXTURES / "probe_head_root.json").read_text())["request"]
    lines = [f"{captured['method']} {captured['raw_path']} HTTP/1.1"]
    port = protected.rpartition(":")[2]
    lines += [
        f"{name}: {value.replace('<PORT>', port)}"
        for name, value in captured["headers"]
        if name != "Connection"
    ]
    lines.append("Connection: close")
    status, headers, body = raw_request(protected, "\n".join(lines) + "\n")
    assert status == 200
    assert body == b""
    assert headers["request-id"].startswith("req_")


@pytest.mark.parametrize("gateway", ["protected", "unprotected"])
def test_root_describes_the_gateway(gateway: str, request: pytest.FixtureRequest) -> None:
    url: str = request.getfixturevalue(gateway)
    r = httpx.get(url + "/")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["status"] == "running"
    assert body["version"] == __version__
    assert body["config"]["password_protected"] is (gateway == "protected")
    assert body["endpoints"]["messages"] == "/v1/messages"
    assert PASSWORD not in r.text
    head = httpx.head(url + "/")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == r.headers["content-length"]


def test_claude_codes_connection_probe_is_answered(protected: str) -> None:
    """Claude Code sends `HEAD /api/hello` to warm its connection; a 404 would be an error line
    in the console at every start and subagent."""
    head = httpx.head(protected + "/api/hello", headers={"user-agent": "claude-cli/2.1.331"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["request-id"].startswith("req_")
    got = httpx.get(protected + "/api/hello")
    assert got.status_code == 200 and got.json() == {"ok": True}
    assert got.headers["content-length"] == head.headers["content-length"]
    assert httpx.post(protected + "/api/hello").status_code == 401  # only the probe is open


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_health(protected: str, method: str) -> None:
    r = httpx.request(method, protected + "/health")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    if method == "GET":
        assert r.json()["ok"] is True


# ------------------------------------------------------------------------------ routing errors


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/nothing"), ("POST", "/v2/messages"), ("GET", "/favicon.ico"), ("PUT", "/x")],
)
def test_unknown_paths_are_404_not_found_error(protected: str, method: str, path: str) -> None:
    message = assert_error(
        httpx.request(method, protected + path, headers=KEY), 404, "not_found_error"
    )
    assert path in message


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/v1/messages", "POST"),
        ("PUT", "/v1/messages", "POST"),
        ("GET", "/v1/messages/count_tokens", "POST"),
        ("DELETE", "/health", "GET, HEAD"),
        ("POST", "/", "GET, HEAD"),
    ],
)
def test_a_wrong_method_on_a_known_path_is_405(
    protected: str, method: str, path: str, allow: str
) -> None:
    r = httpx.request(method, protected + path, headers=KEY)
    message = assert_error(r, 405, "invalid_request_error")
    assert method in message and path in message
    assert set(r.headers["allow"].split(", ")) == set(allow.split(", "))


@pytest.mark.parametrize("path", ["/v1/messages", "/v1/message", "/v1/messages/count_tokens"])
@pytest.mark.parametrize(
    "body", [b"not json", b"", b"{", b'{"model": "x",}', b"[]", b'"text"', b"\xff\xfe"]
)
def test_a_body_that_is_not_a_json_object_is_400(protected: str, path: str, body: bytes) -> None:
    r = httpx.post(
        protected + path, content=body, headers={**KEY, "content-type": "application/json"}
    )
    assert_error(r, 400, "invalid_request_error")


# ------------------------------------------------------------------------------ handler bugs


class BrokenRoutes:
    """Route handlers with a bug in them, standing in for the Anthropic frontend."""

    async def messages(self, request: Request) -> BodyResponse:
        raise RuntimeError("secret detail /home/user/.codex/auth.json")

    async def count_tokens(self, request: Request) -> BodyResponse:
        return BodyResponse(200, b'{"input_tokens":1}')

    def dialect(self) -> Dialect:
        return Dialect(
            "anthropic",
            (
                Route("POST", "/v1/messages", self.messages),
                Route("POST", "/v1/messages/count_tokens", self.count_tokens),
            ),
            lambda exc, rid: render_error(exc, request_id=rid),
        )


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logs() -> Iterator[Records]:
    handler = Records()
    loggers = [logging.getLogger(name) for name in ("codex2claudecode", "uvicorn.error")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


def test_a_handler_bug_is_a_500_without_traceback_logged_once(
    tmp_path: Path, logs: Records
) -> None:
    config = Config.load({"HOME": str(tmp_path)})
    app = create_app(config, [BrokenRoutes().dialect()])
    with run_app(app) as url, httpx.Client(base_url=url) as client:
        r = client.post("/v1/messages", json={})
        message = assert_error(r, 500, "api_error")
        assert message == "internal error: RuntimeError"
        for leak in ("Traceback", "secret detail", "auth.json", ".py"):
            assert leak not in r.text
        # The connection and the server survive the bug.
        assert client.post("/v1/messages/count_tokens", json={}).status_code == 200
    tracebacks = [rec for rec in logs.records if rec.exc_info]
    assert len(tracebacks) == 1, [rec.getMessage() for rec in logs.records]
    assert "/v1/messages" in tracebacks[0].getMessage()


# ------------------------------------------------------------------------------ life cycle


def test_startup_and_shutdown_hooks_run_and_a_failing_hook_does_not_stop_the_rest(
    tmp_path: Path,
) -> None:
    ran: list[str] = []

    async def start() -> None:
        ran.append("start")

    async def broken_close() -> None:
        ran.append("broken")
        raise OSError("already closed")

    async def close() -> None:
        ran.append("close")

    config = Config.load({"HOME": str(tmp_path)})
    app = create_app(
        config,
        [BrokenRoutes().dialect()],
        on_startup=[start],
        on_shutdown=[broken_close, close],
    )
    with run_app(app) as url:
        assert ran == ["start"]
        assert httpx.get(url + "/health").status_code == 200
    assert ran == ["start", "broken", "close"]


# ------------------------------------------------------------------------------ dialects


def _plain_error(exc: Exception, rid: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    assert isinstance(exc, errors.GatewayError)
    body = json.dumps({"error": {"message": exc.message, "kind": "other"}}).encode()
    return exc.status, [(b"content-type", b"application/json")], body


async def _other_endpoint(request: Request) -> BodyResponse:
    return BodyResponse(200, b"{}")


@pytest.mark.parametrize("password", [None, PASSWORD])
def test_errors_follow_the_dialect_that_owns_the_path(tmp_path: Path, password: str | None) -> None:
    other = Dialect(
        "other", (Route("POST", "/v1/other", _other_endpoint),), _plain_error, ("/v1/other/",)
    )
    env = {"HOME": str(tmp_path), **({"API_PASSWORD": password} if password else {})}
    app = create_app(Config.load(env), [BrokenRoutes().dialect(), other])
    with run_app(app) as url, httpx.Client(base_url=url) as client:
        missing = client.get("/v1/other/nothing")
        wrong_method = client.get("/v1/other")
        anthropic_404 = client.get("/v1/nothing")
    if password:  # the password check answers first, in the path's dialect too
        assert missing.status_code == wrong_method.status_code == 401
    else:
        assert (missing.status_code, wrong_method.status_code) == (404, 405)
    assert missing.json()["error"]["kind"] == wrong_method.json()["error"]["kind"] == "other"
    assert anthropic_404.json()["type"] == "error"

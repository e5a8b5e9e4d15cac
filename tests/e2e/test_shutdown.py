"""Stopping the gateway while work is under way (issue 10, "Losing a login").

The real program (`python -m codex2claudecode --headless`) in a subprocess. Its account's access
token has expired, so the first request spends the refresh token, and the fake token endpoint
holds its answer past the 3 s graceful shutdown (until the test lets it go). SIGTERM or Ctrl+C
(SIGINT) arrives meanwhile: the client is told in its own error shape, never left hanging, and
the gateway waits for the grant, saves the rotated tokens and exits cleanly. A second Ctrl+C
leaves at once and says what may be lost; a stream open at shutdown is cut, visibly, without a
traceback. A grant whose client went away is saved all the same.
"""

from __future__ import annotations

import json
import signal
import socket
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import pytest

from codex2claudecode.backends.kiro.accounts.credentials import format_expiry
from tests.cli_harness import MESSAGE, Launched, launch
from tests.e2e.conftest import ACCOUNT_ID
from tests.fakes.codex import FakeCodex, Reply
from tests.fakes.kiro import FakeKiro
from tests.fakes.kiro_oauth import SOCIAL_ARN, FakeKiroOAuth
from tests.fakes.oauth import FakeOAuth, TokenSet
from tests.fakes.responses_events import text_answer
from tests.fakes.server import run_app

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and modes")

EXIT_CODE: dict[int, int] = {signal.SIGTERM: -signal.SIGTERM, signal.SIGINT: 0}
"""Once shut down, SIGTERM ends the process by that signal (uvicorn hands it back, as service
managers expect); Ctrl+C exits 0."""
# Claude Code streams; other clients may not. Either waits for the credentials first.
STOPS = [
    pytest.param(signal.SIGTERM, True, id="SIGTERM-streamed"),
    pytest.param(signal.SIGINT, False, id="Ctrl+C-whole"),
]

Outcome = httpx.Response | httpx.TransportError


class InFlight:
    """One client request, sent from a thread so the test can signal the gateway meanwhile."""

    def __init__(self, url: str, body: dict[str, Any]) -> None:
        self.outcome: Outcome | None = None
        self._thread = threading.Thread(target=self._send, args=(url, body), daemon=True)
        self._thread.start()

    def _send(self, url: str, body: dict[str, Any]) -> None:
        try:
            # No read timeout: a hang fails through the per-test timeout.
            self.outcome = httpx.post(url, json=body, timeout=httpx.Timeout(30.0, read=None))
        except httpx.TransportError as exc:
            self.outcome = exc

    def result(self) -> Outcome:
        self._thread.join()
        assert self.outcome is not None
        return self.outcome


def wait_until(condition: Callable[[], bool]) -> None:
    """Poll until `condition` holds; one that never holds fails by the test timeout."""
    while not condition():
        time.sleep(0.01)


def stops_listening(url: str) -> bool:
    """Whether a new connection is refused: the server has begun its shutdown."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def exited(gateway: Launched, expected_code: int) -> str:
    """Wait for the gateway to exit by itself; check its code and that it printed no
    traceback. Returns everything it printed after its banner."""
    gateway.process.wait(60)
    code, stderr = gateway.stop()
    stdout = "".join(iter(gateway.next_line, None))
    assert code == expected_code, (code, stdout, stderr)
    assert "Traceback" not in stdout + stderr, stdout + stderr
    return stdout + stderr


def assert_told_shutting_down(outcome: Outcome) -> None:
    """The client got the Anthropic error shape, saying why, with a retryable status."""
    assert isinstance(outcome, httpx.Response), repr(outcome)
    assert outcome.status_code == 503, outcome.text
    body = outcome.json()
    assert body["type"] == "error" and body["error"]["type"] == "api_error"
    assert "shutting down" in body["error"]["message"]


def release(oauth: FakeOAuth | FakeKiroOAuth) -> None:
    """Let the held grant answer."""
    assert oauth.hold is not None
    oauth.hold.set()


def private_json(path: Path) -> dict[str, Any]:
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    doc: dict[str, Any] = json.loads(path.read_text())
    return doc


# ------------------------------------------------------------------------------ Codex


@pytest.fixture
def codex_upstream(
    cli_env: dict[str, str],
) -> Iterator[tuple[FakeOAuth, FakeCodex, dict[str, str]]]:
    oauth, codex = FakeOAuth(hold=threading.Event()), FakeCodex()
    with run_app(oauth.app) as oauth_url, run_app(codex) as codex_url:
        env = {**cli_env, "OPENAI_AUTH_URL": oauth_url, "CHATGPT_BASE_URL": codex_url}
        try:
            yield oauth, codex, env
        finally:
            release(oauth)


def write_codex_account(env: dict[str, str], tokens: TokenSet, *, expires_in: float) -> Path:
    account = Path(env["CODEX2CLAUDECODE_HOME"]) / "auth-codex.json"
    account.parent.mkdir(mode=0o700)
    entry = {
        "type": "oauth",
        "access": tokens.access_token,
        "refresh": tokens.refresh_token,
        "expires": int((time.time() + expires_in) * 1000),
        "accountId": ACCOUNT_ID,
    }
    account.write_text(json.dumps(entry))
    account.chmod(0o600)
    return account


@pytest.mark.parametrize(("sig", "stream"), STOPS)
def test_codex_shutdown_waits_for_a_slow_grant_and_saves_the_rotated_token(
    codex_upstream: tuple[FakeOAuth, FakeCodex, dict[str, str]],
    start: list[Launched],
    sig: int,
    stream: bool,
) -> None:
    oauth, codex, env = codex_upstream
    tokens = oauth.login(account_id=ACCOUNT_ID, email="e2e@example.com")
    account = write_codex_account(env, tokens, expires_in=-60)
    codex.script(Reply(events=text_answer("never sent")))
    gateway = launch(start, env, "--port", "0")

    request = InFlight(gateway.url + "/v1/messages", {**MESSAGE, "stream": stream})
    wait_until(lambda: len(oauth.forms) == 1)  # the grant is spent; its answer is held
    gateway.process.send_signal(sig)
    assert_told_shutting_down(request.result())  # the graceful shutdown has run out
    assert gateway.process.poll() is None  # still waiting for the grant
    release(oauth)
    printed = exited(gateway, EXIT_CODE[sig])

    assert oauth.grants == 1
    saved = private_json(account)
    assert saved["refresh"] != tokens.refresh_token
    assert oauth.is_live(saved["refresh"])  # the rotated token: the next start can use it
    assert oauth.is_current(saved["access"])
    assert "waiting for the Codex token refresh" in printed
    assert codex.requests == []


def test_a_second_ctrl_c_leaves_at_once_and_says_the_login_may_be_lost(
    codex_upstream: tuple[FakeOAuth, FakeCodex, dict[str, str]], start: list[Launched]
) -> None:
    oauth, _, env = codex_upstream
    tokens = oauth.login(account_id=ACCOUNT_ID, email="e2e@example.com")
    account = write_codex_account(env, tokens, expires_in=-60)
    before = account.read_bytes()
    gateway = launch(start, env, "--port", "0")

    request = InFlight(gateway.url + "/v1/messages", MESSAGE)
    wait_until(lambda: len(oauth.forms) == 1)
    gateway.process.send_signal(signal.SIGINT)
    wait_until(lambda: stops_listening(gateway.url))  # the first one is being handled
    gateway.process.send_signal(signal.SIGINT)
    printed = exited(gateway, 0)

    assert "Stopped by force while the Codex token server was answering a refresh" in printed
    assert "sign in again" in printed
    assert private_json(account) and account.read_bytes() == before  # untouched, not torn
    assert_told_shutting_down(request.result())
    assert oauth.grants == 1  # spent at the server: what the message warns about


def test_a_stream_open_at_shutdown_ends_with_an_error_event(
    codex_upstream: tuple[FakeOAuth, FakeCodex, dict[str, str]], start: list[Launched]
) -> None:
    oauth, codex, env = codex_upstream
    write_codex_account(env, oauth.login(account_id=ACCOUNT_ID), expires_in=3600)
    codex.script(Reply(events=text_answer("half an answer"), stall_after=5))
    gateway = launch(start, env, "--port", "0")

    with httpx.stream(
        "POST", gateway.url + "/v1/messages", json={**MESSAGE, "stream": True}, timeout=30
    ) as response:
        assert response.status_code == 200
        lines = response.iter_lines()
        while next(lines) != "event: content_block_delta":
            pass
        gateway.process.send_signal(signal.SIGTERM)
        rest = list(lines)  # the body ends properly: no RemoteProtocolError
    printed = exited(gateway, -signal.SIGTERM)

    # The last event is the Anthropic error event, so the client reports why it stopped.
    events = [line for line in rest if line.startswith("event: ")]
    assert events[-1] == "event: error"
    error = orjson.loads(rest[rest.index("event: error") + 1].removeprefix("data: "))
    assert error["type"] == "error"
    assert "the gateway is shutting down" in error["error"]["message"]
    assert "event: message_stop" not in rest  # not an ending that looks normal
    assert "200 POST /v1/messages" in printed
    assert "ended by shutdown: error event sent" in printed
    # In the gateway's words, not uvicorn's "ERROR: Cancel 1 running task(s), timeout graceful…".
    assert "shutting down: ended 1 request still open after 3 s" in printed
    assert "Cancel" not in printed and "ERROR" not in printed


def test_an_openai_chat_stream_open_at_shutdown_ends_with_its_error_chunk(
    codex_upstream: tuple[FakeOAuth, FakeCodex, dict[str, str]], start: list[Launched]
) -> None:
    oauth, codex, env = codex_upstream
    write_codex_account(env, oauth.login(account_id=ACCOUNT_ID), expires_in=3600)
    codex.script(Reply(events=text_answer("half an answer"), stall_after=5))
    gateway = launch(start, env, "--port", "0")
    chat = {"model": "gpt-5.4", "stream": True, "messages": [{"role": "user", "content": "hi"}]}

    with httpx.stream(
        "POST", gateway.url + "/v1/chat/completions", json=chat, timeout=30
    ) as response:
        assert response.status_code == 200
        lines = (line for line in response.iter_lines() if line)
        assert next(lines).startswith("data: {")  # the first chunk is out
        gateway.process.send_signal(signal.SIGTERM)
        rest = list(lines)
    exited(gateway, -signal.SIGTERM)

    last = orjson.loads(rest[-1].removeprefix("data: "))
    assert "the gateway is shutting down" in last["error"]["message"]
    assert "data: [DONE]" not in rest


# ------------------------------------------------------------------------------ Kiro


@pytest.fixture
def kiro_upstream(
    cli_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[FakeKiroOAuth, FakeKiro, dict[str, str]]]:
    kiro, oauth = FakeKiro(), FakeKiroOAuth(hold=threading.Event())
    with run_app(kiro) as kiro_url, run_app(oauth.app) as oauth_url:
        env = {
            **cli_env,
            "UPSTREAM_PROVIDER": "kiro",
            "KIRO_AUTH_FILE": str(tmp_path / ".aws/sso/cache/kiro-auth-token.json"),
            "KIRO_AUTH_URL": oauth_url,
            "KIRO_OIDC_URL": oauth_url,
            "KIRO_BASE_URL": kiro_url,
            "KIRO_PROFILE_FILE": str(tmp_path / "profile.json"),
        }
        try:
            yield oauth, kiro, env
        finally:
            release(oauth)


@pytest.mark.parametrize(("sig", "stream"), STOPS)
def test_kiro_shutdown_waits_for_a_slow_grant_and_saves_the_rotated_token(
    kiro_upstream: tuple[FakeKiroOAuth, FakeKiro, dict[str, str]],
    start: list[Launched],
    sig: int,
    stream: bool,
) -> None:
    oauth, kiro, env = kiro_upstream
    login = oauth.login("social")
    ide = Path(env["KIRO_AUTH_FILE"])
    ide.parent.mkdir(parents=True)
    ide.write_text(
        json.dumps(
            {
                "accessToken": login.access_token,
                "refreshToken": login.refresh_token,
                "expiresAt": format_expiry(time.time() - 60),
                "region": "us-east-1",
                "profileArn": SOCIAL_ARN,
                "authMethod": "social",
                "provider": "Google",
            }
        )
    )
    ide.chmod(0o600)
    gateway = launch(start, env, "--port", "0")

    body = {**MESSAGE, "model": "claude-sonnet-4-5", "stream": stream}
    request = InFlight(gateway.url + "/v1/messages", body)
    wait_until(lambda: len(oauth.requests) == 1)
    gateway.process.send_signal(sig)
    assert_told_shutting_down(request.result())
    assert gateway.process.poll() is None
    release(oauth)
    printed = exited(gateway, EXIT_CODE[sig])

    assert oauth.grants == 1
    saved = private_json(ide)
    assert saved["refreshToken"] != login.refresh_token
    assert oauth.is_live(saved["refreshToken"])
    assert "waiting for the Kiro token refresh" in printed
    assert kiro.generations() == []


# ------------------------------------------------------------------------------ the client leaves


def test_a_grant_the_client_stopped_waiting_for_is_still_saved(
    codex_upstream: tuple[FakeOAuth, FakeCodex, dict[str, str]], start: list[Launched]
) -> None:
    oauth, _, env = codex_upstream
    tokens = oauth.login(account_id=ACCOUNT_ID, email="e2e@example.com")
    account = write_codex_account(env, tokens, expires_in=-60)
    gateway = launch(start, env, "--port", "0")

    with pytest.raises(httpx.ReadTimeout):  # Claude Code's user pressed Esc, say
        httpx.post(gateway.url + "/v1/messages", json=MESSAGE, timeout=httpx.Timeout(1.0))
    assert oauth.grants == 1 and not oauth.is_live(tokens.refresh_token)
    release(oauth)  # the grant answers after its client has gone
    wait_until(lambda: private_json(account)["refresh"] != tokens.refresh_token)

    assert oauth.is_live(private_json(account)["refresh"])
    assert gateway.process.poll() is None  # saved while serving, not at exit
    gateway.process.send_signal(signal.SIGTERM)
    exited(gateway, -signal.SIGTERM)

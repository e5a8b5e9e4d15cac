"""The terminal UI under faults (issue 10's sibling hunt): a stalled, garbled or refusing
upstream, a proxy asking for credentials, and files changed under an open panel. Each test
checks the words on screen, that the app stays usable (Esc, another panel, Ctrl+C), that no
traceback was logged, and the files afterwards."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from codex2claudecode.tui.app import GatewayApp
from codex2claudecode.tui.screens.account import AccountScreen
from codex2claudecode.tui.screens.connect import ConnectScreen
from codex2claudecode.tui.screens.limits import LimitsScreen
from codex2claudecode.tui.screens.logs import LogsScreen
from codex2claudecode.tui.screens.set_claude_env import SetClaudeEnvScreen
from tests.fakes.proxy407 import ProxyAsking407
from tests.fakes.server import run_app
from tests.fakes.wham import FakeWham, WhamReply
from tests.faults.upstream.test_kiro_faults import REFUSED, taking_no_files
from tests.tui.conftest import Harness
from tests.tui.test_commands import closed, opened
from tests.tui.test_limits_fast_mode_quit import limits_text, note

# ---------------------------------------------------------------------- the harness


class Usage:
    """In front of a `FakeWham`: holds every `wham/usage` request until `release` is set, or
    answers it with `raw` bytes; everything else goes to the fake."""

    def __init__(self, inner: FakeWham, raw: bytes | None = None) -> None:
        self.inner = inner
        self.raw = raw
        self.release = threading.Event()
        self.held = 0
        if raw is not None:
            self.release.set()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/wham/usage"):
            self.held += 1
            while not self.release.is_set():
                await asyncio.sleep(0.01)
            if self.raw is not None:
                head = [(b"content-type", b"application/json")]
                await send({"type": "http.response.start", "status": 200, "headers": head})
                await send({"type": "http.response.body", "body": self.raw})
                return
        await self.inner(scope, receive, send)


@contextmanager
def usage_through(harness: Harness, raw: bytes | None = None) -> Iterator[tuple[Harness, Usage]]:
    usage = Usage(harness.up.wham, raw)
    with run_app(usage) as url:
        try:
            yield replace(harness, config=harness.config.with_(chatgpt_base_url=url)), usage
        finally:
            usage.release.set()


class Logged(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def no_traceback() -> Iterator[Logged]:
    handler = Logged()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
    assert not [r.getMessage() for r in handler.records if r.exc_info]


async def still_usable(pilot: Pilot[int], app: GatewayApp) -> None:
    """Esc closes the open panel, another panel opens and closes, Ctrl+C quits cleanly."""
    await pilot.press("escape")
    await closed(pilot, app)
    await pilot.press("l")
    await opened(pilot, app, LogsScreen)
    await pilot.press("escape")
    await closed(pilot, app)
    await pilot.press("ctrl+c")
    while app.is_running:
        await pilot.pause(0.05)
    assert app.return_code == 0


async def open_limits(pilot: Pilot[int], app: GatewayApp) -> LimitsScreen:
    await pilot.press("slash", *"limits", "enter")
    await opened(pilot, app, LimitsScreen)
    screen = app.screen
    assert isinstance(screen, LimitsScreen)
    return screen


async def limits_read(pilot: Pilot[int], app: GatewayApp) -> str:
    screen = await open_limits(pilot, app)
    while "accounts." not in note(app):
        await pilot.pause(0.05)
    return limits_text(screen)


# ---------------------------------------------------------------------- /limits


async def test_limits_of_a_stalled_upstream_keep_the_ui_usable(harness: Harness) -> None:
    with usage_through(harness) as (stalled, usage):
        app = stalled.app()
        async with app.run_test(size=(100, 40)) as pilot:
            await open_limits(pilot, app)
            while usage.held < 3:  # the dashboard's two reads and the panel's first
                await pilot.pause(0.05)
            assert note(app) == "Asking ChatGPT Codex for every account's limits…"
            await still_usable(pilot, app)  # Ctrl+C does not wait for the stalled reads


@pytest.mark.parametrize("raw", [b"<html>oops</html>", b'{"rate_limit": {"primary', b""])
async def test_limits_that_are_not_json_say_so(harness: Harness, raw: bytes) -> None:
    with usage_through(harness, raw) as (garbled, _):
        app = garbled.app()
        async with app.run_test(size=(100, 40)) as pilot:
            shown = await limits_read(pilot, app)
            assert shown.count("/wham/usage answered with something that is not JSON") == 2
            await still_usable(pilot, app)


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (WhamReply(["a", "list"]), "/wham/usage answered with JSON that is not a JSON object"),
        (WhamReply({"rate_limit": "nope", "plan_type": 7}), "Limits: none reported"),
        (
            WhamReply({"detail": "slow down"}, 429, {"retry-after": "17"}),
            "/wham/usage answered HTTP 429: ChatGPT is rate-limiting requests",
        ),
        (
            WhamReply({"detail": "down"}, 503, {"retry-after": "30"}),
            "/wham/usage answered HTTP 503: ChatGPT is unavailable; try again in 30s",
        ),
    ],
    ids=["list", "wrong-shape", "429", "503"],
)
async def test_limits_of_a_bad_answer_name_it_and_keep_the_others(
    harness: Harness, reply: WhamReply, words: str
) -> None:
    harness.up.wham.answer("usage", "acct-a", reply)
    app = harness.app()
    async with app.run_test(size=(100, 40)) as pilot:
        shown = await limits_read(pilot, app)
        assert words in shown
        assert "3% left" in shown  # acct-b's limits, read all the same
        await still_usable(pilot, app)


async def test_limits_refused_for_ever_spend_one_grant_per_account(harness: Harness) -> None:
    harness.up.wham.accepts = lambda token: False
    app = harness.app()
    async with app.run_test(size=(100, 40)) as pilot:
        shown = await limits_read(pilot, app)
        assert shown.count("rejects even a freshly refreshed token of this account") == 2
        await pilot.press("r")
        while "accounts." not in note(app):
            await pilot.pause(0.05)
        assert harness.up.oauth.grants == 2
        await still_usable(pilot, app)


async def test_limits_through_a_proxy_asking_407(harness: Harness) -> None:
    proxy = ProxyAsking407()
    url = f"http://alice:s3cret-pw@127.0.0.1:{proxy.port}"
    config = harness.up.config(
        HTTP_PROXY=url, HTTPS_PROXY=url, CLAUDE_CONFIG_DIR=str(harness.home / ".claude")
    )
    app = replace(harness, config=config).app()
    try:
        async with app.run_test(size=(100, 40)) as pilot:
            shown = await limits_read(pilot, app)
            assert "407 Proxy Authentication Required" in shown
            assert f"http://***@127.0.0.1:{proxy.port}" in shown and "s3cret" not in shown
            await pilot.press("escape")
            await closed(pilot, app)
            await pilot.press("c")
            await opened(pilot, app, ConnectScreen)
            await pilot.press("down", "down", "down", "enter")  # paste tokens
            screen = app.screen
            while not screen.query_one("#manual").has_class("open"):
                await pilot.pause(0.05)
            screen.query_one("#field-refresh_token", Input).value = "rt-pasted-0123456789"
            screen.query_one("#field-account_id", Input).focus()
            await pilot.press("enter")
            while "Not added" not in note(app):
                await pilot.pause(0.05)
            assert note(app) == (
                f"Not added: The proxy http://***@127.0.0.1:{proxy.port} refused the request: "
                "407 Proxy Authentication Required. Check the user name and password in "
                "HTTPS_PROXY / HTTP_PROXY (http://user:password@host:port)."
            )
            await still_usable(pilot, app)
    finally:
        proxy.close()


# ---------------------------------------------------------------------- /connect


async def test_a_pasted_token_is_not_lost_when_the_panel_closes_during_its_check(
    harness: Harness,
) -> None:
    oauth = harness.up.oauth
    pasted = oauth.login(account_id="acct-c", email="acct-c@example.com")
    oauth.hold = hold = threading.Event()
    app = harness.app()
    try:
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.press("c")
            await opened(pilot, app, ConnectScreen)
            await pilot.press("down", "down", "down", "enter")
            screen = app.screen
            while not screen.query_one("#manual").has_class("open"):
                await pilot.pause(0.05)
            screen.query_one("#field-refresh_token", Input).value = pasted.refresh_token
            screen.query_one("#field-account_id", Input).focus()
            await pilot.press("enter")
            while not oauth.forms:  # the pasted token is spent; the answer is held
                await pilot.pause(0.05)
            assert note(app) == "Saving…"
            await pilot.press("escape")
            await closed(pilot, app)
            hold.set()
            while not any("acct-c@example.com" in n.message for n in app._notifications):
                await pilot.pause(0.05)
            await pilot.press("ctrl+c")
    finally:
        hold.set()
    saved = (harness.config.state_dir / "auth-codex.json").read_text()
    assert not oauth.is_live(pasted.refresh_token)
    assert '"acct-c"' in saved
    assert any(oauth.is_live(token) for token in _refresh_tokens(saved))


def _refresh_tokens(text: str) -> list[str]:
    import orjson

    return [entry["refresh"] for entry in orjson.loads(text)]


# ---------------------------------------------------------------------- files changing


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        ("{not json", "is not valid JSON"),
        (None, "There are no Codex accounts yet"),
    ],
    ids=["garbage", "deleted"],
)
async def test_the_account_file_changes_under_the_account_panel(
    harness: Harness, damage: str | None, words: str
) -> None:
    path = harness.config.state_dir / "auth-codex.json"
    app = harness.app()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("slash", *"acc", "tab", "enter")
        await opened(pilot, app, AccountScreen)
        while app.screen.query_one("#accounts").row_count < 2:  # type: ignore[attr-defined]
            await pilot.pause(0.05)
        if damage is None:
            path.unlink()
        else:
            path.write_text(damage)
        await pilot.press("down", "enter")
        while "Cannot switch" not in note(app):
            await pilot.pause(0.05)
        assert note(app).startswith("Cannot switch to acct-b@example.com: ") and words in note(app)
        await still_usable(pilot, app)
    assert (path.read_text() if damage is not None else path.exists()) == (damage or False)


async def test_a_request_log_replaced_by_another_file_is_named_in_the_log_panel(
    harness: Harness,
) -> None:
    log = harness.config.request_log_path
    app = harness.app()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("l")
        await opened(pilot, app, LogsScreen)
        log.write_bytes(b"this is not a database\n" * 100)
        while "not a database" not in note(app):
            await pilot.pause(0.05)
        assert note(app) == (
            f"cannot read the request log {log}: file is not a database. The gateway keeps a "
            "damaged log as requests.db.broken-<time> and starts a new one when it next "
            "records a request"
        )
        await still_usable(pilot, app)
    assert log.read_bytes() == b"this is not a database\n" * 100


async def preview_set_env(pilot: Pilot[int], app: GatewayApp) -> None:
    """/set-claude-env, user scope, the four models kept: up to the preview."""
    await pilot.press("e")
    await opened(pilot, app, SetClaudeEnvScreen)
    await pilot.press("enter")
    while not app.screen.query_one("#models").has_class("open"):
        await pilot.pause(0.05)
    await pilot.press("enter", "enter", "enter", "enter")


async def test_set_claude_env_over_invalid_json_leaves_it_alone(harness: Harness) -> None:
    settings = harness.home / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text("{ invalid")
    app = harness.app()
    async with app.run_test(size=(100, 40)) as pilot:
        await preview_set_env(pilot, app)
        while "not valid JSON" not in note(app):
            await pilot.pause(0.05)
        assert note(app).startswith(f"{settings}: it is not valid JSON (")
        await still_usable(pilot, app)
    assert settings.read_text() == "{ invalid"


async def test_set_claude_env_in_a_folder_taking_no_files_says_which_and_why(
    harness: Harness,
) -> None:
    settings = harness.home / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text('{"env": {"A": "1"}}\n')
    app = harness.app()
    async with app.run_test(size=(100, 40)) as pilot:
        with taking_no_files(settings.parent):
            await preview_set_env(pilot, app)
            while not getattr(app.screen, "ready", False):
                await pilot.pause(0.05)
            await pilot.press("enter")
            while "Not written" not in note(app):
                await pilot.pause(0.05)
        assert note(app) == (
            f"Not written: cannot write {settings} ({REFUSED}); make {settings.parent} "
            "writable, or choose another settings file."
        )
        await still_usable(pilot, app)
    assert settings.read_text() == '{"env": {"A": "1"}}\n'
    assert [p.name for p in settings.parent.iterdir()] == ["settings.json"]


HOLD = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()
"""


@contextmanager
def lock_held(path: Any) -> Iterator[None]:
    """Another process holds the advisory lock of `path` for the block."""
    lock = path.with_name(path.name + ".lock")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(lock)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        yield
    finally:
        holder.communicate(b"")


@pytest.mark.skipif(sys.platform == "win32", reason="fcntl")
async def test_switching_while_another_program_holds_the_lock_says_so(harness: Harness) -> None:
    path = harness.config.state_dir / "auth-codex.json"
    before = path.read_bytes()
    app = harness.app()
    with lock_held(path):
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.press("slash", *"acc", "tab", "enter")
            await opened(pilot, app, AccountScreen)
            while app.screen.query_one("#accounts").row_count < 2:  # type: ignore[attr-defined]
                await pilot.pause(0.05)
            await pilot.press("down", "enter")
            while not note(app).startswith("Switching"):
                await pilot.pause(0.05)
            assert note(app) == "Switching to acct-b@example.com…"
            await pilot.press("escape", "l")  # the UI answers meanwhile
            await opened(pilot, app, LogsScreen)
            await pilot.press("escape")
            await closed(pilot, app)
            await pilot.press("slash", *"acc", "tab", "enter")
            await opened(pilot, app, AccountScreen)
            while app.screen.query_one("#accounts").row_count < 2:  # type: ignore[attr-defined]
                await pilot.pause(0.05)
            await pilot.press("down", "enter")
            while "Cannot switch" not in note(app):  # after the 30 s wait for the lock
                await pilot.pause(0.2)
            assert note(app) == (
                f"Cannot switch to acct-b@example.com: another program has held {path}.lock "
                "for more than 30 s; if none is running (a Codex CLI, a Kiro IDE, another "
                "codex2claudecode), it may be stuck"
            )
            await still_usable(pilot, app)
    assert path.read_bytes() == before

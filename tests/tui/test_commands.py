"""Each command driven by Textual's Pilot against the fakes: keys, the typed prompt, Esc."""

from __future__ import annotations

import httpx
import orjson
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from codex2claudecode.requestlog import RequestLog
from codex2claudecode.tui.app import GatewayApp
from codex2claudecode.tui.screens.account import AccountScreen
from codex2claudecode.tui.screens.connect import ConnectScreen
from codex2claudecode.tui.screens.log_detail import LogDetailScreen
from codex2claudecode.tui.screens.logs import LogsScreen
from codex2claudecode.tui.screens.panel import Panel
from codex2claudecode.tui.screens.set_claude_env import SetClaudeEnvScreen
from codex2claudecode.tui.screens.switch_provider import SwitchProviderScreen
from codex2claudecode.tui.screens.unset_claude_env import UnsetClaudeEnvScreen
from tests.fakes.codex import Reply
from tests.fakes.responses_events import text_answer
from tests.requestlog.records import make_record
from tests.tui.conftest import Harness
from tests.tui.test_app import settle

BODY = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 64,
    "stream": True,
    "messages": [{"role": "user", "content": "hi"}],
}


def message(app: GatewayApp) -> str:
    return str(app.screen_stack[1].query_one("#message", Static).render())


async def opened(pilot: Pilot[int], app: GatewayApp, kind: type[Panel]) -> None:
    """Wait until a command's screen of `kind` is on top."""
    while not isinstance(app.screen, kind):
        await pilot.pause(0.05)


async def closed(pilot: Pilot[int], app: GatewayApp) -> None:
    """Wait until the command's screen is gone."""
    while isinstance(app.screen, Panel):
        await pilot.pause(0.05)


async def newest_request_in_full(pilot: Pilot[int], app: GatewayApp) -> str:
    """Open `/logs`, then the newest request in full; the detail's text once it has loaded."""
    await pilot.press("l")
    await opened(pilot, app, LogsScreen)
    while not app.screen.query_one("#requests").row_count:  # type: ignore[attr-defined]
        await pilot.pause(0.05)
    await pilot.press("enter")
    await opened(pilot, app, LogDetailScreen)
    detail = app.screen
    assert isinstance(detail, LogDetailScreen)
    while not detail.text:
        await pilot.pause(0.05)
    return detail.text


async def test_typed_account_switch_moves_the_next_request(harness: Harness) -> None:
    harness.up.wham.codex.script(Reply(text_answer("Hello")))
    app = harness.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"acc", "tab", "enter")
        await opened(pilot, app, AccountScreen)
        while app.screen.query_one("#accounts").row_count < 2:  # type: ignore[attr-defined]
            await pilot.pause(0.05)
        await pilot.press("down", "enter")
        await closed(pilot, app)
        assert "acct-b@example.com" in message(app)
        async with httpx.AsyncClient(base_url=app.session.base_url) as client:
            reply = await client.post("/v1/messages", json=BODY, headers={"x-api-key": "k"})
        assert reply.status_code == 200
        sent = harness.up.wham.codex.requests[-1]
        assert sent.headers["chatgpt-account-id"] == "acct-b"
        await pilot.press("ctrl+c")


async def test_switching_provider_keeps_a_running_stream(harness: Harness) -> None:
    codex = harness.up.wham.codex
    codex.script(Reply(text_answer("one", "two", "three"), delay=0.3))
    app = harness.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        async with httpx.AsyncClient(base_url=app.session.base_url, timeout=30) as client:
            async with client.stream(
                "POST", "/v1/messages", json=BODY, headers={"x-api-key": "k"}
            ) as stream:
                assert stream.status_code == 200
                await pilot.press("p")
                while not isinstance(app.screen, SwitchProviderScreen) or not (
                    app.screen.query_one("#providers", OptionList).option_count
                ):
                    await pilot.pause(0.05)
                await pilot.press("down", "enter")
                await closed(pilot, app)
                assert app.session.provider == "kiro"
                text = b"".join([chunk async for chunk in stream.aiter_bytes()])
            assert b"message_stop" in text and b"three" in text
            before = len(codex.requests)
            await client.post("/v1/messages", json=BODY, headers={"x-api-key": "k"})
            assert len(codex.requests) == before  # the next request went to Kiro
        saved = orjson.loads(harness.config.provider_config_path.read_bytes())
        assert saved["provider"] == "kiro"
        assert "Kiro" in message(app)
        await pilot.press("ctrl+c")


async def test_set_then_unset_claude_env(harness: Harness) -> None:
    app = harness.app()
    settings = harness.home / ".claude" / "settings.json"
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("e")
        await opened(pilot, app, SetClaudeEnvScreen)
        await pilot.press("enter")  # user scope
        while not app.screen.query_one("#models").has_class("open"):
            await pilot.pause(0.05)
        await pilot.press("enter", "enter", "enter", "enter")  # keep the four models
        while not getattr(app.screen, "ready", False):
            await pilot.pause(0.05)
        preview = str(app.screen.query_one("#preview", Static).render())
        assert f"+ ANTHROPIC_BASE_URL={app.session.base_url}" in preview
        await pilot.press("enter")
        await closed(pilot, app)
        env = orjson.loads(settings.read_bytes())["env"]
        assert env["ANTHROPIC_BASE_URL"] == app.session.base_url
        assert env["ANTHROPIC_AUTH_TOKEN"] == "codex2claudecode"

        await pilot.press("u")
        await opened(pilot, app, UnsetClaudeEnvScreen)
        await pilot.press("enter")
        while not getattr(app.screen, "ready", False):
            await pilot.pause(0.05)
        assert "- ANTHROPIC_BASE_URL" in str(app.screen.query_one("#preview", Static).render())
        await pilot.press("y")
        await closed(pilot, app)
        assert not settings.exists()  # set created it; unset leaves no empty file behind
        await pilot.press("ctrl+c")


async def test_escape_goes_back_without_writing(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("e")
        await opened(pilot, app, SetClaudeEnvScreen)
        await pilot.press("escape")
        await closed(pilot, app)
        assert not (harness.home / ".claude" / "settings.json").exists()
        await pilot.press("ctrl+c")


async def test_connect_by_importing_the_codex_cli_login(harness: Harness) -> None:
    issued = harness.up.oauth.login(account_id="acct-cli", email="cli@example.com")
    cli_file = harness.home / ".codex" / "auth.json"
    cli_file.parent.mkdir()
    cli_file.write_bytes(
        orjson.dumps(
            {
                "auth_mode": "chatgpt",
                "tokens": {
                    "access_token": issued.access_token,
                    "refresh_token": issued.refresh_token,
                    "id_token": issued.id_token,
                    "account_id": "acct-cli",
                },
            }
        )
    )
    app = harness.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("c")
        await opened(pilot, app, ConnectScreen)
        await pilot.press("enter")  # the first way: import
        await closed(pilot, app)
        assert "cli@example.com" in message(app)
        while not app.state.account.startswith("cli@example.com"):
            await pilot.pause(0.05)
        await pilot.press("ctrl+c")


async def test_logs_open_a_request_in_full(harness: Harness) -> None:
    log = RequestLog.from_config(harness.config)
    log.submit(make_record(log, id="req_tui_1", path="/v1/messages?beta=true"))
    log.close()
    app = harness.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        text = await newest_request_in_full(pilot, app)
        assert "POST /v1/messages?beta=true" in text
        assert '"model": "claude-sonnet-4-5"' in text  # pretty-printed
        await pilot.press("escape", "escape")
        await closed(pilot, app)
        await pilot.press("ctrl+c")


async def test_a_request_in_full_shows_the_upstream_exchange(harness: Harness) -> None:
    codex = harness.up.wham.codex
    codex.script(Reply(text_answer("Hello"), headers={"x-request-id": "req_up_tui"}))
    app = harness.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        async with httpx.AsyncClient(base_url=app.session.base_url) as client:
            reply = await client.post("/v1/messages", json=BODY, headers={"x-api-key": "k"})
        assert reply.status_code == 200
        text = await newest_request_in_full(pilot, app)
        request = text.index("── Request")
        upstream = text.index("── Upstream exchange")
        response = text.index("── Response · 200")
        assert request < upstream < response
        exchange = text[upstream:response]
        assert "/codex/responses → 200" in exchange
        assert "upstream request id req_up_tui" in exchange
        assert "authorization: [redacted]" in exchange
        assert "chatgpt-account-id: acct-a" in exchange
        assert '"model": "gpt-5' in exchange  # the body sent, pretty-printed
        assert "event: response.created" in exchange  # the upstream's own answer
        assert "x-request-id: req_up_tui" in exchange
        assert '"max_tokens": 64' in text[request:upstream]  # the client's body
        assert "event: message_start" in text[response:]  # what the client got
        assert codex.requests[-1].headers["authorization"].split()[1] not in text
        await pilot.press("c")
        assert app.clipboard == text
        await pilot.press("escape")
        await opened(pilot, app, LogsScreen)
        await pilot.press("escape")
        await closed(pilot, app)
        await pilot.press("ctrl+c")


async def test_a_refused_request_in_full_shows_the_upstream_exchange(harness: Harness) -> None:
    """An upstream refusal keeps what was sent and the upstream's error answer too."""
    codex = harness.up.wham.codex
    refusal = {"error": {"message": "Unsupported parameter: 'top_k'", "param": "top_k"}}
    codex.script(Reply(status=400, body=refusal, headers={"x-request-id": "req_refused_tui"}))
    app = harness.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        async with httpx.AsyncClient(base_url=app.session.base_url) as client:
            reply = await client.post("/v1/messages", json=BODY, headers={"x-api-key": "k"})
        assert reply.status_code == 400
        text = await newest_request_in_full(pilot, app)
        exchange = text[text.index("── Upstream exchange") : text.index("── Response · 400")]
        assert "/codex/responses → 400" in exchange
        assert "upstream request id req_refused_tui" in exchange
        assert "not recorded" not in exchange
        sent, received = exchange.split("received:")
        assert "authorization: [redacted]" in sent
        assert '"model": "gpt-5' in sent  # the body sent, pretty-printed
        assert "x-request-id: req_refused_tui" in received
        assert '"message": "Unsupported parameter: \'top_k\'"' in received  # its error body
        await pilot.press("escape", "escape")
        await closed(pilot, app)
        await pilot.press("ctrl+c")


async def test_an_unknown_typed_command_is_said(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"nope", "enter")
        while "No command" not in message(app):
            await pilot.pause(0.05)
        assert "No command /nope;" in message(app)
        await pilot.press("ctrl+c")

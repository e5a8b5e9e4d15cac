"""/limits, /codex-fast-mode, /connect for Kiro and /quit driven by Pilot against the fakes."""

from __future__ import annotations

import io

import httpx
from rich.console import Console
from textual.widgets import Input, OptionList, Static

from codex2claudecode.backends.kiro.accounts.store import KiroAccountStore
from codex2claudecode.requestlog import LogReader
from codex2claudecode.tui.app import GatewayApp
from codex2claudecode.tui.screens.codex_fast_mode import FastModeScreen
from codex2claudecode.tui.screens.connect import ConnectScreen
from codex2claudecode.tui.screens.limits import LimitsScreen
from tests.fakes.codex import Reply
from tests.fakes.responses_events import text_answer
from tests.fakes.wham import WhamReply
from tests.tui.conftest import Harness, usage
from tests.tui.test_app import settle
from tests.tui.test_commands import BODY, closed, message, opened


def note(app: GatewayApp) -> str:
    """The open command screen's note line."""
    return str(app.screen.query_one("#panel-note", Static).render())


def limits_text(screen: LimitsScreen) -> str:
    """The limits as the screen draws them, in plain text."""
    console = Console(width=100, file=io.StringIO(), record=True)
    console.print(screen.query_one("#limits-body", Static).content)
    return console.export_text()


async def test_limits_show_every_account_and_read_again(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"limits", "enter")
        await opened(pilot, app, LimitsScreen)
        screen = app.screen
        assert isinstance(screen, LimitsScreen)
        while "2 accounts" not in note(app):
            await pilot.pause(0.05)
        shown = limits_text(screen)
        assert "acct-a@example.com" in shown and "acct-b@example.com" in shown
        assert "58% left" in shown and "3% left" in shown
        harness.up.wham.answer("usage", "acct-b", WhamReply(usage(12, 60)))
        await pilot.press("r")
        while "3% left" in limits_text(screen):
            await pilot.pause(0.05)
        assert "88% left" in limits_text(screen)
        await pilot.press("escape")
        await closed(pilot, app)
        await pilot.press("ctrl+c")


async def test_fast_mode_asks_codex_for_the_priority_tier(harness: Harness) -> None:
    codex = harness.up.wham.codex
    codex.script(Reply(text_answer("slow")), Reply(text_answer("fast")))
    app = harness.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        async with httpx.AsyncClient(base_url=app.session.base_url) as client:
            await client.post("/v1/messages", json=BODY, headers={"x-api-key": "k"})
            assert "service_tier" not in codex.requests[-1].body
            await pilot.press("f")
            await opened(pilot, app, FastModeScreen)
            choices = app.screen.query_one("#choices", OptionList)
            while "Now: off" not in note(app):
                await pilot.pause(0.05)
            assert choices.highlighted == 1
            await pilot.press("up", "enter")
            await closed(pilot, app)
            assert "fast mode on" in message(app)
            reply = await client.post("/v1/messages", json=BODY, headers={"x-api-key": "k"})
        assert reply.status_code == 200
        assert codex.requests[-1].body["service_tier"] == "priority"
        await pilot.press("ctrl+c")


async def test_quit_writes_the_last_requests_to_the_log(harness: Harness) -> None:
    codex = harness.up.wham.codex
    codex.script(*(Reply(text_answer(f"answer {n}")) for n in range(5)))
    app = harness.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        async with httpx.AsyncClient(base_url=app.session.base_url) as client:
            for _ in range(5):
                reply = await client.post("/v1/messages", json=BODY, headers={"x-api-key": "k"})
                assert reply.status_code == 200
        await pilot.press("slash", *"quit", "enter")
        while app.is_running:
            await pilot.pause(0.05)
    with LogReader(harness.config.request_log_path) as reader:
        written = reader.recent(100)
    assert [e.path for e in written] == ["/v1/messages"] * 5
    assert all(e.output_tokens is not None for e in written)


async def test_connect_kiro_by_pasting_idc_tokens(harness: Harness) -> None:
    app = harness.app()
    app.session.router.providers.switch("kiro")
    typed = {
        "access_token": "aoaAccessTokenPastedIntoTheForm0123456789abcdefghij",
        "refresh_token": "aorRefreshTokenPastedIntoTheForm0123456789abcdefghij",
        "region": "eu-central-1",
        "label": "work",
        "profile_arn": "arn:aws:codewhisperer:eu-central-1:123456789012:profile/ABCDEF",
        "client_id": "client-id-123",
        "client_secret": "client-secret-456",
    }
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("c")
        await opened(pilot, app, ConnectScreen)
        await pilot.press("down", "enter")  # import, then paste tokens
        screen = app.screen
        while not screen.query_one("#manual").has_class("open"):
            await pilot.pause(0.05)
        for name, value in typed.items():
            field = screen.query_one(f"#field-{name}", Input)
            assert field.password == (name in ("access_token", "refresh_token", "client_secret"))
            assert field.has_focus
            field.value = value
            await pilot.press("enter")
        await closed(pilot, app)
        assert "work" in message(app) and "active Kiro account" in message(app)
        await pilot.press("ctrl+c")
    creds = KiroAccountStore.from_config(harness.config).load()
    assert (creds.kind, creds.region, creds.label) == ("idc", "eu-central-1", "work")
    assert (creds.client_id, creds.client_secret) == ("client-id-123", "client-secret-456")
    assert creds.profile_arn == typed["profile_arn"]
    assert creds.access_token == typed["access_token"]


async def test_connect_kiro_refuses_half_an_idc_client(harness: Harness) -> None:
    app = harness.app()
    app.session.router.providers.switch("kiro")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("c")
        await opened(pilot, app, ConnectScreen)
        await pilot.press("down", "enter")
        screen = app.screen
        while not screen.query_one("#manual").has_class("open"):
            await pilot.pause(0.05)
        screen.query_one("#field-access_token", Input).value = "aoaAccess0123456789"
        screen.query_one("#field-refresh_token", Input).value = "aorRefresh0123456789"
        screen.query_one("#field-client_id", Input).value = "client-id-only"
        screen.query_one("#field-client_secret", Input).focus()
        await pilot.press("enter")
        while "Not added" not in note(app):
            await pilot.pause(0.05)
        assert "both the OIDC client id and its secret" in note(app)
        assert isinstance(app.screen, ConnectScreen)
        await pilot.press("escape")
        await closed(pilot, app)
        await pilot.press("ctrl+c")

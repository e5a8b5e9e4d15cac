"""/connect: add an account to the active provider: import the Codex CLI's or Kiro IDE's
login, sign in with a browser or a device code (Codex), or paste tokens (masked)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import aiohttp
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from codex2claudecode.backends.codex.accounts.credentials import CodexCredentials
from codex2claudecode.backends.codex.accounts.device_login import (
    complete_device_login,
    request_device_code,
)
from codex2claudecode.backends.codex.accounts.login import BrowserLogin
from codex2claudecode.backends.codex.accounts.store import CodexAccountStore
from codex2claudecode.errors import GatewayError
from codex2claudecode.tasks import spawn
from codex2claudecode.tui import accounts
from codex2claudecode.tui.blocking import off_loop
from codex2claudecode.tui.screens.panel import Panel
from codex2claudecode.tui.session import Session

COMMAND = "connect"


class ConnectScreen(Panel):
    heading = "Connect an account"
    keys = "↑/↓ choose · Enter continue · Esc back"
    DEFAULT_CSS = """
    ConnectScreen #manual { display: none; height: auto; }
    ConnectScreen #manual.open { display: block; }
    ConnectScreen #manual Input { margin: 0 0 0 0; }
    ConnectScreen #login { height: auto; }
    """

    def body(self) -> ComposeResult:
        session = self.session
        source = accounts.import_source(session.config, session.provider)
        options = [Option(f"Import from {source}", id="import")]
        if session.provider == "codex":
            options += [
                Option("Sign in with a browser (ChatGPT)", id="browser"),
                Option("Sign in with a device code (another device, SSH)", id="device"),
            ]
        options.append(Option("Paste tokens (typed hidden)", id="manual"))
        yield OptionList(*options, id="methods")
        yield Static(id="login")
        with Vertical(id="manual"):
            for field in accounts.MANUAL_FIELDS[session.provider]:
                optional = "" if field.required else " (optional)"
                yield Label(f"{field.label}{optional}")
                yield Input(value=field.default, password=field.secret, id=f"field-{field.name}")

    def on_mount(self) -> None:
        self.heading = f"Connect a {self.session.provider_name} account"
        self.query_one("#panel-title", Static).update(self.heading)
        self.query_one("#methods", OptionList).focus()

    @on(OptionList.OptionSelected, "#methods")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        match event.option.id:
            case "import":
                self.note("Importing…")
                self._import()
            case "browser":
                self._browser()
            case "device":
                self._device()
            case _:
                self._open_manual()

    @work(exclusive=True, group="connect")
    async def _import(self) -> None:
        session = self.session
        try:
            message = await off_loop(accounts.import_login, session.config, session.provider)
        except (GatewayError, OSError) as exc:
            self.note(f"Import failed: {exc}", error=True)
            return
        session.accounts_changed()
        self.finish(message)

    # ---------------------------------------------------------------- Codex sign-in

    @work(exclusive=True, group="connect")
    async def _browser(self) -> None:
        config = self.session.config
        url = config.openai_token_url
        try:
            async with (
                aiohttp.ClientSession(trust_env=False) as http,
                BrowserLogin(
                    http, issuer=config.openai_auth_url, token_url=url,
                    proxy=config.proxies.for_url(url),
                ) as login,
            ):  # fmt: skip
                opened = await off_loop(self.session.open_browser, login.url)
                how = "Your browser shows the sign-in page" if opened else "Open this URL here"
                self._show_login(
                    f"{how}:\n{login.url}\n\nIt returns to http://localhost:{login.port}, so the "
                    "browser must run on this machine (else use the device code)."
                )
                self.note("Waiting for the sign-in… (Esc cancels)")
                creds = await login.wait()
        except (GatewayError, OSError, aiohttp.ClientError) as exc:
            self.note(f"Sign-in failed: {exc}", error=True)
            return
        await self._save(creds)

    @work(exclusive=True, group="connect")
    async def _device(self) -> None:
        config = self.session.config
        url = config.openai_token_url
        proxy = config.proxies.for_url(url)
        try:
            async with aiohttp.ClientSession(trust_env=False) as http:
                device = await request_device_code(http, issuer=config.openai_auth_url, proxy=proxy)
                self._show_login(
                    f"1. Open {device.verification_url} on any device and sign in.\n"
                    f"2. Enter this one-time code:  {device.user_code}\n"
                    "Never share it: whoever enters it gets into your account."
                )
                self.note("Waiting for the sign-in… (Esc cancels)")
                creds = await complete_device_login(
                    http, device, issuer=config.openai_auth_url, token_url=url, proxy=proxy
                )
        except (GatewayError, OSError, aiohttp.ClientError) as exc:
            self.note(f"Sign-in failed: {exc}", error=True)
            return
        await self._save(creds)

    def _show_login(self, text: str) -> None:
        self.query_one("#login", Static).update(text)

    async def _save(self, creds: CodexCredentials) -> None:
        store = CodexAccountStore.from_config(self.session.config)
        try:
            saved = await off_loop(store.upsert, creds)
        except OSError as exc:
            self.note(f"Cannot save the account: {exc}", error=True)
            return
        self.session.accounts_changed()
        self.finish(f"Signed in to {saved.email or saved.key}; it is now the active account.")

    # ---------------------------------------------------------------- pasted tokens

    def _open_manual(self) -> None:
        self.query_one("#manual").add_class("open")
        self.query_one("#methods").display = False
        self.set_keys("Enter next field / save · Esc back")
        first = self.query("#manual Input").first(Input)
        first.focus()
        self.note("Tokens are hidden while you type or paste them.")

    @on(Input.Submitted, "#manual Input")
    def _field_done(self, event: Input.Submitted) -> None:
        inputs = list(self.query("#manual Input").results(Input))
        index = inputs.index(event.input)
        if index + 1 < len(inputs):
            inputs[index + 1].focus()
            return
        values = {field.id.removeprefix("field-"): field.value for field in inputs if field.id}
        self.note("Saving…")
        self._add_tokens(values)

    @work(exclusive=True, group="connect")
    async def _add_tokens(self, values: dict[str, str]) -> None:
        config = self.session.config
        try:
            if self.session.provider == "codex":
                message = await self._outliving(accounts.add_codex_tokens(config, values))
            else:
                message = await off_loop(accounts.add_kiro_tokens, config, values)
        except (GatewayError, OSError, aiohttp.ClientError) as exc:
            self.note(f"Not added: {exc}", error=True)
            return
        self.session.accounts_changed()
        self.finish(message)

    def _outliving(self, adding: Coroutine[Any, Any, str]) -> asyncio.Future[str]:
        """`adding` run to its end even if this screen closes first: checking a pasted refresh
        token spends it, so its replacement must be saved, and the dashboard says so."""
        task = spawn(adding, name="connect-add-tokens")
        app, session = self.app, self.session

        def after_close(task: asyncio.Task[str]) -> None:
            if task.cancelled():
                return
            error = task.exception()
            if self.is_attached:
                return  # the screen reports it
            if error is None:
                session.accounts_changed()
                app.notify(task.result(), timeout=10)
            else:
                app.notify(f"Not added: {error}", severity="error", timeout=10)

        task.add_done_callback(after_close)
        return asyncio.shield(task)


def screen(session: Session) -> Panel:
    return ConnectScreen(session)

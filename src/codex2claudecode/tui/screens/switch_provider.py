"""/switch-provider: serve from ChatGPT Codex or Kiro. The listener stays; running streams
finish on the provider they started on, the next request goes to the new one."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from codex2claudecode.backends.base import PROVIDER_NAMES
from codex2claudecode.config import Provider
from codex2claudecode.errors import GatewayError
from codex2claudecode.provider_config import save_provider
from codex2claudecode.tui import accounts
from codex2claudecode.tui.blocking import off_loop
from codex2claudecode.tui.screens.panel import Panel
from codex2claudecode.tui.session import Session

COMMAND = "switch-provider"


class SwitchProviderScreen(Panel):
    heading = "Switch provider"
    keys = "↑/↓ choose · Enter switch · Esc back"

    def body(self) -> ComposeResult:
        yield OptionList(id="providers")

    def on_mount(self) -> None:
        self._load()

    @work(exclusive=True)
    async def _load(self) -> None:
        session = self.session
        options = []
        for name in session.router.providers.names:
            count = await off_loop(_account_count, session, name)
            mark = "● " if name == session.provider else "  "
            what = f"{count} account{'s' if count != 1 else ''}" if count >= 0 else "unreadable"
            options.append(Option(f"{mark}{PROVIDER_NAMES[name]}  ({what})", id=name))
        choices = self.query_one("#providers", OptionList)
        choices.add_options(options)
        choices.highlighted = session.router.providers.names.index(session.provider)
        choices.focus()
        self.note(f"Serving from {session.provider_name}.")

    @on(OptionList.OptionSelected, "#providers")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        name = event.option.id
        if name in ("codex", "kiro"):
            self._switch("codex" if name == "codex" else "kiro")

    @work(exclusive=True)
    async def _switch(self, name: Provider) -> None:
        session = self.session
        if name == session.provider:
            self.finish(f"Already serving from {session.provider_name}.")
            return
        before = session.provider_name
        try:
            session.router.providers.switch(name)
        except (GatewayError, OSError, ValueError) as exc:
            self.note(f"Cannot switch to {PROVIDER_NAMES[name]}: {exc}", error=True)
            return
        message = (
            f"Serving from {PROVIDER_NAMES[name]}: the next request goes there; "
            f"running ones finish on {before}."
        )
        try:
            await off_loop(save_provider, session.config.provider_config_path, name)
        except OSError as exc:
            message += f" (Not remembered for next time: {exc}.)"
        if await off_loop(_account_count, session, name) == 0:
            message += " It has no account yet: /connect adds one."
        self.finish(message)


def _account_count(session: Session, name: Provider) -> int:
    try:
        return len(accounts.rows(session.config, name, session.clock()))
    except GatewayError:
        return 0
    except OSError:
        return -1


def screen(session: Session) -> Panel:
    return SwitchProviderScreen(session)

"""/codex-fast-mode: ask Codex for the priority service tier (faster, uses limits faster)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from codex2claudecode.backends.codex.fast_mode import FastMode
from codex2claudecode.tui.blocking import off_loop
from codex2claudecode.tui.screens.panel import Panel
from codex2claudecode.tui.session import Session

COMMAND = "codex-fast-mode"


class FastModeScreen(Panel):
    heading = "Codex fast mode"
    keys = "↑/↓ choose · Enter save · Esc back"

    def body(self) -> ComposeResult:
        yield OptionList(
            Option('on   service_tier "priority" on every Codex request', id="on"),
            Option("off  the default tier", id="off"),
            id="choices",
        )

    def on_mount(self) -> None:
        self._load()

    @work(exclusive=True)
    async def _load(self) -> None:
        enabled = await off_loop(FastMode.from_config(self.session.config).enabled)
        choices = self.query_one("#choices", OptionList)
        choices.highlighted = 0 if enabled else 1
        choices.focus()
        self.note(f"Now: {'on' if enabled else 'off'}.")

    @on(OptionList.OptionSelected, "#choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self._save(event.option.id == "on")

    @work(exclusive=True)
    async def _save(self, enabled: bool) -> None:
        try:
            await off_loop(FastMode.from_config(self.session.config).set_enabled, enabled)
        except OSError as exc:
            self.note(f"Cannot save fast mode: {exc}", error=True)
            return
        word = "on: requests ask for the priority tier" if enabled else "off"
        self.finish(f"Codex fast mode {word} (from the next request).")


def screen(session: Session) -> Panel:
    return FastModeScreen(session)

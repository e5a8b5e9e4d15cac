"""/unset-claude-env: scope -> the keys that go -> confirm."""

from __future__ import annotations

from typing import cast

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Static

from codex2claudecode.accounts.files import LockBusy
from codex2claudecode.claude_settings import (
    ClaudeEnvDraft,
    ClaudeSettingsError,
    Scope,
    default_models,
    plan_unset,
)
from codex2claudecode.tui.blocking import off_loop
from codex2claudecode.tui.screens.claude_scope import cannot_write, diff_lines, scope_list
from codex2claudecode.tui.screens.panel import Panel
from codex2claudecode.tui.session import Session

COMMAND = "unset-claude-env"


class UnsetClaudeEnvScreen(Panel):
    heading = "Remove this gateway from Claude Code's settings"
    keys = "↑/↓ choose the settings file · Enter continue · Esc back"
    BINDINGS = [Binding("y", "confirm", "Remove", show=False)]

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.settings = session.settings()
        self.scope: Scope | None = None
        self.draft: ClaudeEnvDraft | None = None
        self.ready = False

    def body(self) -> ComposeResult:
        yield scope_list(self.settings)
        yield Static(id="preview", markup=False)

    def on_mount(self) -> None:
        self.query_one("#scopes", OptionList).focus()

    @on(OptionList.OptionSelected, "#scopes")
    def _scope_chosen(self, event: OptionList.OptionSelected) -> None:
        self.scope = cast(Scope, event.option.id)
        self._preview()

    @work(exclusive=True)
    async def _preview(self) -> None:
        assert self.scope is not None
        defaults = default_models(self.session.models())
        try:
            self.draft = await off_loop(self.settings.load_draft, defaults)
            env = await off_loop(self.settings.read_env, self.scope)
        except ClaudeSettingsError as exc:
            self.note(str(exc), error=True)
            return
        path = self.settings.path(self.scope)
        change = plan_unset(env or {}, self.draft, token=self.session.token)
        if env is None or not change.removed:
            self.note(f"{path} holds nothing of this gateway.", done=True)
            return
        self.query_one("#scopes").display = False
        lines = [f"{path}, its env:", *diff_lines(env, change)]
        self.query_one("#preview", Static).update("\n".join(lines))
        self.ready = True
        self.set_keys("Enter or y remove them · Esc back")
        self.note("Nothing else in the file changes.")
        self.query_one("#preview").focus()

    def on_key(self, event: events.Key) -> None:
        if self.ready and event.key == "enter":
            self.action_confirm()

    def action_confirm(self) -> None:
        if self.ready:
            self.ready = False
            self._remove()

    @work(exclusive=True)
    async def _remove(self) -> None:
        assert self.scope is not None and self.draft is not None
        scope, draft = self.scope, self.draft
        try:
            await off_loop(self.settings.unset, scope, draft, token=self.session.token)
        except (ClaudeSettingsError, LockBusy) as exc:
            self.note(f"Not changed: {exc}", error=True)
            return
        except OSError as exc:
            self.note(f"Not changed: {cannot_write(self.settings.path(scope), exc)}", error=True)
            return
        self.finish(f"Removed the gateway from {self.settings.path(scope)}.")


def screen(session: Session) -> Panel:
    return UnsetClaudeEnvScreen(session)

"""/set-claude-env: scope -> models -> the exact change to settings.json -> confirm."""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList, Static

from codex2claudecode.accounts.files import LockBusy
from codex2claudecode.claude_settings import (
    MODEL_KEYS,
    ClaudeEnvDraft,
    ClaudeSettingsError,
    Scope,
    default_models,
    plan_set,
)
from codex2claudecode.tui.blocking import off_loop
from codex2claudecode.tui.screens.claude_scope import cannot_write, diff_lines, scope_list
from codex2claudecode.tui.screens.panel import Panel
from codex2claudecode.tui.session import Session

COMMAND = "set-claude-env"


class SetClaudeEnvScreen(Panel):
    heading = "Point Claude Code at this gateway"
    keys = "↑/↓ choose the settings file · Enter continue · Esc back"
    BINDINGS = [Binding("y", "confirm", "Write", show=False)]
    DEFAULT_CSS = """
    SetClaudeEnvScreen #models { display: none; height: auto; }
    SetClaudeEnvScreen #models.open { display: block; }
    SetClaudeEnvScreen #preview { height: auto; }
    """

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.settings = session.settings()
        self.scope: Scope | None = None
        self.draft: ClaudeEnvDraft | None = None
        self.ready = False
        """The preview is shown: Enter or y writes it."""

    def body(self) -> ComposeResult:
        yield scope_list(self.settings)
        with Vertical(id="models"):
            for key in MODEL_KEYS:
                yield Label(key)
                yield Input(id=f"model-{key}")
        yield Static(id="preview", markup=False)

    def on_mount(self) -> None:
        self.query_one("#scopes", OptionList).focus()

    @on(OptionList.OptionSelected, "#scopes")
    def _scope_chosen(self, event: OptionList.OptionSelected) -> None:
        self.scope = cast(Scope, event.option.id)
        self._load_draft()

    @work(exclusive=True)
    async def _load_draft(self) -> None:
        defaults = default_models(self.session.models())
        try:
            self.draft = await off_loop(self.settings.load_draft, defaults)
        except ClaudeSettingsError as exc:
            self.note(str(exc), error=True)
            return
        self.query_one("#scopes").display = False
        self.query_one("#models").add_class("open")
        for key, value in self.draft.models.items():
            self.query_one(f"#model-{key}", Input).value = value
        self.query_one(f"#model-{MODEL_KEYS[0]}", Input).focus()
        self.set_keys("Enter next model / preview · Esc back")
        self.note(f"Models Claude Code asks for ({self.session.provider_name} serves them).")

    @on(Input.Submitted, "#models Input")
    def _model_done(self, event: Input.Submitted) -> None:
        inputs = list(self.query("#models Input").results(Input))
        index = inputs.index(event.input)
        if index + 1 < len(inputs):
            inputs[index + 1].focus()
            return
        self._preview()

    def _models(self) -> dict[str, str]:
        return {key: self.query_one(f"#model-{key}", Input).value.strip() for key in MODEL_KEYS}

    @work(exclusive=True)
    async def _preview(self) -> None:
        assert self.scope is not None and self.draft is not None
        models = self._models()
        if not all(models.values()):
            self.note("Every model needs a name.", error=True)
            return
        self.draft = replace(self.draft, models=models)
        try:
            env = await off_loop(self.settings.read_env, self.scope) or {}
        except ClaudeSettingsError as exc:
            self.note(str(exc), error=True)
            return
        change = plan_set(env, self.draft, base_url=self.session.base_url, token=self.session.token)
        lines = diff_lines(env, change)
        path = self.settings.path(self.scope)
        text = "\n".join([f"{path}, its env:", *lines]) if lines else f"{path} is up to date."
        self.query_one("#models").remove_class("open")
        self.query_one("#preview", Static).update(text)
        self.ready = True
        self.set_keys("Enter or y write it · Esc back")
        self.note("Nothing else in the file changes.")
        self.query_one("#preview").focus()

    def on_key(self, event: events.Key) -> None:
        if self.ready and event.key == "enter":
            self.action_confirm()

    def action_confirm(self) -> None:
        if self.ready:
            self.ready = False
            self._write()

    @work(exclusive=True)
    async def _write(self) -> None:
        assert self.scope is not None and self.draft is not None
        session, scope, draft = self.session, self.scope, self.draft
        try:
            await off_loop(self.settings.save_models, draft.models)
            change = await off_loop(
                self.settings.set, scope, draft, base_url=session.base_url, token=session.token
            )
        except (ClaudeSettingsError, LockBusy) as exc:
            self.note(f"Not written: {exc}", error=True)
            return
        except OSError as exc:
            self.note(f"Not written: {cannot_write(self.settings.path(scope), exc)}", error=True)
            return
        path = self.settings.path(scope)
        private = (
            " It holds the gateway's key, so it is private now (others could read it)."
            if change.made_private
            else ""
        )
        if not change.saved:
            self.finish(f"{path} already points Claude Code here.{private}")
            return
        self.finish(f"Wrote {path}: start (or restart) Claude Code to use the gateway.{private}")


def screen(session: Session) -> Panel:
    return SetClaudeEnvScreen(session)

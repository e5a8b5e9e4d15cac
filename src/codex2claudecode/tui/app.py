"""The Textual app: the dashboard, the prompt, the palette and keys that open each command's
screen, and the gateway's listener served in the same event loop.

The app gathers the dashboard's state in the background (limits every few minutes, accounts
and traffic every few seconds), never blocking the UI: files and SQLite are read in threads,
the network is awaited.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import partial

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from codex2claudecode import __version__
from codex2claudecode.tui.listener import Listener
from codex2claudecode.tui.screens.panel import Panel
from codex2claudecode.tui.session import Session
from codex2claudecode.tui.slash import SlashCommand, available, named
from codex2claudecode.tui.state import StateReader, initial_state
from codex2claudecode.tui.widgets.dashboard import Dashboard, DashboardState
from codex2claudecode.tui.widgets.prompt import CommandPrompt

LIMITS_EVERY = 300.0
"""Seconds between limit reads (each asks the upstream once per account)."""
STATUS_EVERY = 2.0
"""Seconds between reads of the accounts file and the request log."""

PanelFactory = Callable[[Session], Panel]


class HomeScreen(Screen[None]):
    """The dashboard, the prompt and the message line; the command keys live here only, so
    they do not fire inside a command's screen."""

    BINDINGS = [
        Binding("slash", "prompt", "commands"),
        Binding("y", "copy_exports", "copy exports"),
        # Footer labels are short so that every shown key fits in 120 columns.
        *(
            Binding(c.key, f"command('{c.name}')", c.label or c.name, show=c.in_footer)
            for c in available("codex")
        ),
    ]

    def __init__(self, app: GatewayApp) -> None:
        super().__init__()
        self._owner = app

    def compose(self) -> ComposeResult:
        yield Static(f"codex2claudecode {__version__}", id="title")
        yield Dashboard(self._owner.session.tz)
        yield CommandPrompt(available(self._owner.session.provider))
        yield Static("", id="message")
        yield Footer()

    def action_command(self, name: str) -> None:
        self._owner.run_command(named(name))

    def action_prompt(self) -> None:
        self.query_one(CommandPrompt).open("/")

    def action_copy_exports(self) -> None:
        self.app.copy_to_clipboard("\n".join(self._owner.session.export_lines()) + "\n")
        self._owner.say("Copied the export lines (paste them into the shell you start Claude in).")

    def on_command_prompt_chosen(self, event: CommandPrompt.Chosen) -> None:
        self._owner.run_command(event.command)

    def on_command_prompt_unknown(self, event: CommandPrompt.Unknown) -> None:
        name = "/" + event.text.lstrip("/")
        self._owner.say(f"No command {name}; type / to see them all.", error=True)


class SlashCommands(Provider):
    """The slash commands in Textual's command palette (Ctrl+P)."""

    async def search(self, query: str) -> Hits:
        app = self.app
        if not isinstance(app, GatewayApp):
            return
        matcher = self.matcher(query)
        for command in available(app.session.provider):
            text = f"/{command.name}"
            score = matcher.match(text)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(text),
                    partial(app.run_command, command),
                    help=command.description,
                )

    async def discover(self) -> Hits:
        app = self.app
        if not isinstance(app, GatewayApp):
            return
        for command in available(app.session.provider):
            yield DiscoveryHit(
                f"/{command.name}", partial(app.run_command, command), help=command.description
            )


class GatewayApp(App[int]):
    TITLE = "codex2claudecode"
    CSS = """
    #title { height: 1; padding: 0 1; background: $primary-darken-3; color: $text; }
    #message { height: auto; padding: 0 1; color: $text-muted; }
    #message.error { color: $error; }
    """
    BINDINGS = [Binding("ctrl+c", "quit", "Quit", priority=True, show=False)]
    COMMANDS = App.COMMANDS | {SlashCommands}
    AUTO_FOCUS = ""  # nothing: letters are command keys until / opens the prompt

    class Problem(Message):
        """A warning or error logged anywhere in the process (possibly another thread)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(
        self,
        session: Session,
        listener: Listener,
        *,
        panels: dict[str, PanelFactory] | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.listener = listener
        self.reader = StateReader(session)
        self.state: DashboardState = initial_state(session)
        self.panels = panels if panels is not None else default_panels()
        self.status_reads = 0
        """How many times the accounts and traffic were read (tests wait on it)."""
        self.limits_reads = 0
        self._serving: Worker[None] | None = None
        self._quitting = False
        self._log_handler = _ShowProblems(self)

    # ------------------------------------------------------------------ life cycle

    def on_mount(self) -> None:
        _ = self.push_screen(HomeScreen(self))
        logging.getLogger().addHandler(self._log_handler)
        self._catch_signals()
        self._serving = self.run_worker(self._serve(), name="listener", exit_on_error=False)
        self.refresh_status()
        self.refresh_limits()
        self.set_interval(STATUS_EVERY, self.refresh_status)
        self.set_interval(LIMITS_EVERY, self.refresh_limits)

    def on_unmount(self) -> None:
        logging.getLogger().removeHandler(self._log_handler)

    async def _serve(self) -> None:
        self._update(listener="listening")
        await self.listener.serve()
        if not self.listener.stopping:
            self._update(listener="stopped (see the message below)")
            self.say("The gateway stopped serving; restart codex2claudecode.", error=True)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is self._serving and event.state == WorkerState.ERROR:
            error = event.worker.error
            self._update(listener="stopped")
            self.say(f"The gateway stopped: {error}", error=True)

    async def action_quit(self) -> None:
        """Stop accepting requests, let open ones finish (or end them with an error event),
        run the shutdown hooks (request log flushed, sessions closed), then leave."""
        if self._quitting:
            return
        self._quitting = True
        self.say("Stopping: finishing open requests…")
        self.listener.stop()
        if self._serving is not None and self._serving.is_running:
            await self._serving.wait()
        self.exit(0)

    def _catch_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        loop = asyncio.get_running_loop()

        def quit_soon(signum: int, frame: object) -> None:
            loop.call_soon_threadsafe(self.call_later, self.action_quit)

        # uvicorn takes these while it serves and hands them back afterwards; ours end the
        # UI cleanly (terminal restored) instead of killing the process mid-screen.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, quit_soon)

    # ------------------------------------------------------------------ commands

    def run_command(self, command: SlashCommand) -> None:
        if command.name == "quit":
            self.call_later(self.action_quit)
            return
        if self.session.provider not in command.providers:
            self.say(f"/{command.name} is for {', '.join(command.providers)} only.", error=True)
            return
        factory = self.panels[command.name]
        if isinstance(self.screen, Panel):
            _ = self.pop_screen()
        _ = self.push_screen(factory(self.session), self._after_panel)

    def _after_panel(self, message: str | None) -> None:
        if message:
            self.say(message)
        home = self.screen_stack[1] if len(self.screen_stack) > 1 else None
        if isinstance(home, HomeScreen):
            home.query_one(CommandPrompt).set_commands(available(self.session.provider))
        self.refresh_status()
        self.refresh_limits()

    def say(self, text: str, *, error: bool = False) -> None:
        """Show `text` in the message line; errors also as a notification."""
        for screen in self.screen_stack:
            if isinstance(screen, HomeScreen):
                line = screen.query_one("#message", Static)
                line.update(text)
                line.set_class(error, "error")
        if error:
            self.notify(text, severity="error", timeout=8)

    def on_gateway_app_problem(self, message: GatewayApp.Problem) -> None:
        self.say(message.text, error=True)

    # ------------------------------------------------------------------ the dashboard's state

    @work(exclusive=True, group="status")
    async def refresh_status(self) -> None:
        changes = await self.reader.status()
        self.status_reads += 1
        self._update(**changes)

    @work(exclusive=True, group="limits")
    async def refresh_limits(self) -> None:
        changes = await self.reader.limits()
        self.limits_reads += 1
        self._update(**changes)

    def _update(self, **changes: object) -> None:
        self.state = replace(self.state, now=self.session.clock(), **changes)  # type: ignore[arg-type]
        for screen in self.screen_stack:
            for dashboard in screen.query(Dashboard):
                dashboard.show(self.state)


def default_panels() -> dict[str, PanelFactory]:
    from codex2claudecode.tui.screens import (
        account,
        codex_fast_mode,
        connect,
        limits,
        logs,
        set_claude_env,
        switch_provider,
        unset_claude_env,
    )

    modules: Iterable[object] = (
        account, codex_fast_mode, connect, limits, logs, set_claude_env, switch_provider,
        unset_claude_env,
    )  # fmt: skip
    return {m.COMMAND: m.screen for m in modules}  # type: ignore[attr-defined]


class _ShowProblems(logging.Handler):
    """Shows logged warnings and errors in the UI, as words (no traceback)."""

    def __init__(self, app: GatewayApp) -> None:
        super().__init__(logging.WARNING)
        self._app = app

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except (TypeError, ValueError):
            text = str(record.msg)
        self._app.post_message(GatewayApp.Problem(text))

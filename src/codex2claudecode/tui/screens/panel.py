"""What every command screen shares: it opens over the lower part of the screen (the dashboard
stays visible above it), Esc goes back, and a note line says what happened in words."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from codex2claudecode.tui.session import Session


class Panel(ModalScreen[str | None]):
    """A command screen; dismissed with the message to show (None: nothing happened)."""

    DEFAULT_CSS = """
    Panel { align: center bottom; background: $background 20%; }
    Panel > #panel {
        width: 100%; height: 70%; border: round $accent; background: $surface; padding: 0 1;
    }
    Panel #panel-title { text-style: bold; color: $accent; }
    Panel #panel-keys { color: $text-muted; }
    Panel #panel-note { color: $text-muted; height: auto; }
    Panel #panel-note.error { color: $error; }
    Panel #panel-note.done { color: $success; }
    """
    BINDINGS = [Binding("escape", "back", "Back")]

    heading = ""
    keys = "Esc back"

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        with Vertical(id="panel"):
            yield Static(self.heading, id="panel-title")
            yield Static(self.keys, id="panel-keys")
            yield from self.body()
            yield Static("", id="panel-note")

    def body(self) -> ComposeResult:
        yield from ()

    def note(self, text: str, *, error: bool = False, done: bool = False) -> None:
        """Say what happened (an error in red: never swallowed, never a traceback)."""
        line = self.query_one("#panel-note", Static)
        line.update(text)
        line.set_class(error, "error")
        line.set_class(done, "done")

    def set_keys(self, text: str) -> None:
        self.query_one("#panel-keys", Static).update(text)

    def finish(self, message: str | None) -> None:
        """Close the screen; the app shows `message` on the dashboard."""
        _ = self.dismiss(message)  # resolves once the screen is gone; nothing waits on it

    def action_back(self) -> None:
        self.finish(None)

"""The command prompt: type `/logs` and Enter, with the matching commands listed as you type
(Tab completes), as in Claude Code."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Input, Static

from codex2claudecode.tui.slash import SlashCommand, matching, resolve

PLACEHOLDER = "/ for commands · Ctrl+P palette · keys below"


class CommandInput(Input):
    BINDINGS = [
        Binding("tab", "complete", "Complete", show=False),
        Binding("escape", "leave", "Back", show=False),
    ]

    def action_complete(self) -> None:
        prompt = self.parent
        if isinstance(prompt, CommandPrompt):
            prompt.complete()

    def action_leave(self) -> None:
        self.value = ""
        self.screen.set_focus(None)


class CommandPrompt(Vertical):
    """Posts `CommandPrompt.Chosen` when Enter names a command."""

    DEFAULT_CSS = """
    CommandPrompt { height: auto; }
    CommandPrompt > CommandInput { border: round $primary-darken-2; }
    CommandPrompt > CommandInput:focus { border: round $accent; }
    CommandPrompt > #hints { height: auto; max-height: 9; padding: 0 2; display: none; }
    CommandPrompt > #hints.open { display: block; }
    """

    class Chosen(Message):
        def __init__(self, command: SlashCommand) -> None:
            super().__init__()
            self.command = command

    class Unknown(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, commands: Sequence[SlashCommand], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]  # Widget's keyword arguments
        self._commands = list(commands)

    def compose(self) -> ComposeResult:
        yield CommandInput(placeholder=PLACEHOLDER, suggester=self._suggester(), id="command")
        yield Static(id="hints")

    def set_commands(self, commands: Sequence[SlashCommand]) -> None:
        self._commands = list(commands)
        self.query_one(CommandInput).suggester = self._suggester()

    def open(self, text: str = "/") -> None:
        """Focus the prompt with `text` typed."""
        field = self.query_one(CommandInput)
        field.value = text
        field.cursor_position = len(text)
        field.focus()

    def complete(self) -> None:
        field = self.query_one(CommandInput)
        found = matching(field.value, self._commands)
        if found:
            field.value = "/" + found[0].name
            field.cursor_position = len(field.value)

    @on(Input.Changed, "#command")
    def _typed(self, event: Input.Changed) -> None:
        hints = self.query_one("#hints", Static)
        text = event.value
        if not text.startswith("/"):
            hints.remove_class("open")
            return
        found = matching(text, self._commands)
        hints.update(_hints(found) if found else Text("no such command", style="dim"))
        hints.add_class("open")

    @on(Input.Submitted, "#command")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        field = self.query_one(CommandInput)
        if not text:
            return
        command = resolve(text, self._commands)
        if command is None:
            self.post_message(self.Unknown(text))
            return
        field.value = ""
        self.screen.set_focus(None)
        self.post_message(self.Chosen(command))

    def _suggester(self) -> SuggestFromList:
        return SuggestFromList(["/" + c.name for c in self._commands], case_sensitive=False)


def _hints(commands: Sequence[SlashCommand]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(style="dim", no_wrap=True, overflow="ellipsis")
    table.add_column(style="dim", no_wrap=True)
    for command in commands:
        table.add_row("/" + command.name, command.description, command.key)
    return table

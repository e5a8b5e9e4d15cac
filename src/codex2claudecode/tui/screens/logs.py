"""/logs: the request log, live: time, method, path, model, status, duration, tokens. Type to
filter, Enter opens a request in full, f follows the newest."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import tzinfo

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input

from codex2claudecode.requestlog import LogEntry, LogReader, LogUnreadable
from codex2claudecode.tui import render
from codex2claudecode.tui.blocking import off_loop
from codex2claudecode.tui.screens.log_detail import LogDetailScreen
from codex2claudecode.tui.screens.panel import Panel
from codex2claudecode.tui.session import Session

COMMAND = "logs"
SHOWN = 500
"""Requests kept in the table (the newest)."""
POLL_EVERY = 1.0


class LogsScreen(Panel):
    heading = "Request log"
    keys = "↑/↓ choose · Enter details · / filter · f follow · Esc back"
    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("f", "follow", "Follow"),
    ]
    DEFAULT_CSS = """
    LogsScreen #filter { display: none; height: 3; }
    LogsScreen #filter.open { display: block; }
    LogsScreen #requests { height: 1fr; }
    """

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self._entries: list[LogEntry] = []
        self._last_seq = 0
        self._follow = True
        self._filter = ""

    def body(self) -> ComposeResult:
        yield Input(placeholder="filter: path, model, status, account…", id="filter")
        table: DataTable[Text | str] = DataTable(id="requests", cursor_type="row")
        table.add_columns("Time", "Method", "Path", "Model", "Status", "Duration", "Tokens")
        yield table

    def on_mount(self) -> None:
        self.query_one("#requests", DataTable).focus()
        self._poll()
        self.set_interval(POLL_EVERY, self._poll)

    @work(exclusive=True, group="poll")
    async def _poll(self) -> None:
        try:
            new = await off_loop(_read_after, self.session, self._last_seq)
        except LogUnreadable as exc:
            self.note(str(exc), error=True)
            return
        if new:
            self._last_seq = new[-1].seq
            self._entries = (self._entries + new)[-SHOWN:]
            self._redraw()
        elif not self._entries:
            self.note("No requests yet: point Claude Code at the gateway (y on the dashboard).")

    def _redraw(self) -> None:
        table = self.query_one("#requests", DataTable)
        keep = (
            table.coordinate_to_cell_key(table.cursor_coordinate).row_key
            if table.row_count
            else None
        )
        table.clear()
        shown = filtered(self._entries, self._filter)
        tz = self.session.tz
        for entry in shown:
            table.add_row(*row_cells(entry, tz), key=str(entry.seq))
        if self._follow and shown:
            table.move_cursor(row=len(shown) - 1)
        elif keep is not None and keep.value is not None:
            with contextlib.suppress(KeyError):  # filtered out
                table.move_cursor(row=table.get_row_index(keep))
        total = len(self._entries)
        what = f"{len(shown)} of {total}" if self._filter else f"{total}"
        errors = sum(1 for e in shown if e.status >= 400 or e.error)
        follow = "following" if self._follow else "not following"
        failed = "1 error" if errors == 1 else f"{errors} errors"
        self.note(f"{what} requests · {failed} · {follow}")

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.add_class("open")
        field.focus()

    def action_follow(self) -> None:
        self._follow = not self._follow
        self._redraw()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._filter = event.value
        self._redraw()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.query_one("#requests", DataTable).focus()

    @on(DataTable.RowHighlighted, "#requests")
    def _moved(self, event: DataTable.RowHighlighted) -> None:
        table = event.data_table
        if event.cursor_row < table.row_count - 1 and table.has_focus:
            self._follow = False

    @on(DataTable.RowSelected, "#requests")
    def _open(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            _ = self.app.push_screen(LogDetailScreen(self.session, event.row_key.value))

    def action_back(self) -> None:
        field = self.query_one("#filter", Input)
        if field.has_focus:
            self.query_one("#requests", DataTable).focus()
            return
        super().action_back()


def _read_after(session: Session, seq: int) -> list[LogEntry]:
    with LogReader(session.log_path) as reader:
        return reader.recent(SHOWN) if seq == 0 else reader.after(seq)


def filtered(entries: Sequence[LogEntry], text: str) -> list[LogEntry]:
    """The entries whose path, model, method, status, account or id contain `text`."""
    needle = text.strip().lower()
    if not needle:
        return list(entries)

    def hay(e: LogEntry) -> str:
        fields = (e.path, e.method, str(e.status), e.model_used, e.model_requested, e.account, e.id)
        return " ".join(f for f in fields if f).lower()

    return [e for e in entries if needle in hay(e)]


def row_cells(entry: LogEntry, tz: tzinfo | None) -> tuple[Text | str, ...]:
    return render.request_cells(entry, tz)


def screen(session: Session) -> Panel:
    return LogsScreen(session)

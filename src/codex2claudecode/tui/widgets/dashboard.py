"""The dashboard, always on screen: where to point Claude Code, who serves, health, limits,
traffic and the last requests. It draws a `DashboardState`; the app gathers that state in the
background.

From `WIDE` columns the panels are boxed: connect and status side by side, the limits (every
window, long bars) and the last requests across the whole width below them. Narrower, they
stack unboxed and the limits keep two windows, so that 80x24 still has room for the prompt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Container
from textual.widgets import Static

from codex2claudecode.backends.base import AccountLimits
from codex2claudecode.requestlog import LogEntry
from codex2claudecode.tui import render

WIDE = 120
"""From this many columns the panels are boxed and side by side."""


@dataclass(frozen=True, slots=True)
class DashboardState:
    exports: tuple[str, ...]
    """The shell lines for Claude Code, password masked."""
    base_url: str
    listener: str
    """`starting`, `listening`, or what went wrong."""
    provider: str
    fast_mode: bool | None
    """None for a provider without it."""
    account: str
    """`ana@example.com (plus)`, or what is missing."""
    account_count: int
    upstream: str | None
    """`ok`, a problem in words, or None before the first check."""
    limits: tuple[AccountLimits, ...] | None
    """Every account's limits; None while the first read runs."""
    requests_per_minute: int
    tokens_today: int
    now: float
    log_problem: str | None = None
    recent: tuple[LogEntry, ...] = ()
    """The last requests, newest first."""


class Dashboard(Container):
    """Four panels: connect, status, limits, recent requests (the last one when wide)."""

    DEFAULT_CSS = """
    Dashboard { height: auto; layout: vertical; }
    Dashboard.wide {
        layout: grid; grid-size: 2; grid-columns: 1fr 1fr; grid-rows: auto; grid-gutter: 0 1;
    }
    Dashboard > Static { height: auto; padding: 0 1; }
    Dashboard.wide > Static {
        border: round $primary-darken-2; border-title-color: $text-muted;
    }
    Dashboard.wide > #limits, Dashboard.wide > #recent { column-span: 2; }
    Dashboard > #recent { display: none; }
    Dashboard.wide > #recent { display: block; }
    Dashboard > #connect { color: $text; }
    """
    RECENT_ROWS = 6
    """Requests listed when wide (more from 48 rows: tall terminals have the room)."""

    def __init__(self, tz: tzinfo | None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]  # Widget's keyword arguments
        self._tz = tz
        self._state: DashboardState | None = None

    def compose(self) -> ComposeResult:
        for name, title in (
            ("connect", "Point Claude Code here"),
            ("status", "Status"),
            ("limits", "Limits"),
            ("recent", "Recent requests"),
        ):
            panel = Static(id=name)
            panel.border_title = title
            yield panel

    def on_resize(self) -> None:
        self.set_class(self.app.size.width >= WIDE, "wide")
        if self._state is not None:
            self.show(self._state)

    def on_mount(self) -> None:
        if self._state is not None:
            self.show(self._state)

    def show(self, state: DashboardState) -> None:
        self._state = state
        if not self.is_mounted:
            return  # drawn on mount
        width, height = self.app.size
        wide = width >= WIDE
        self.query_one("#connect", Static).update(connect_panel(state, hint=wide))
        self.query_one("#status", Static).update(status_panel(state))
        bar_width = min(40, (width - 70) // 2) if wide else 12
        limits = limits_panel(state, self._tz, rows=None if wide else 2, bar_width=bar_width)
        self.query_one("#limits", Static).update(limits)
        if wide:
            rows = self.RECENT_ROWS * 2 if height >= 48 else self.RECENT_ROWS
            self.query_one("#recent", Static).update(recent_panel(state, self._tz, rows))


def connect_panel(state: DashboardState, *, hint: bool = False) -> RenderableType:
    """The gateway's address and the export lines; `hint` adds how to copy them."""
    dot = "green" if state.listener == "listening" else "red"
    head = Text.assemble(
        ("Gateway ", "bold"), (state.base_url, "bold cyan"), ("  ● ", dot), (state.listener, dot)
    )
    exports = Text("\n".join(state.exports), style="dim")
    if not hint:
        return Group(head, exports)
    return Group(
        head, exports, Text("y copies these lines · e writes Claude's settings", style="dim")
    )


def status_panel(state: DashboardState) -> RenderableType:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="ellipsis", no_wrap=True)
    provider = Text(state.provider)
    if state.fast_mode is not None:
        provider.append("  fast mode " + ("on" if state.fast_mode else "off"), style="dim")
    table.add_row("Provider", provider)
    accounts = f"  ({state.account_count} accounts)" if state.account_count > 1 else ""
    table.add_row("Account", Text(state.account).append(accounts, style="dim"))
    if state.upstream is None:
        health = Text("checking…", style="yellow")
    elif state.upstream == "ok":
        health = Text("upstream ok", style="green")
    else:
        health = Text(state.upstream, style="red")
    table.add_row("Health", health)
    tokens = render.count_text(state.tokens_today)
    traffic = Text(f"{state.requests_per_minute} req/min · {tokens} tokens today")
    if state.log_problem:
        traffic = Text(state.log_problem, style="red")
    table.add_row("Traffic", traffic)
    return table


def limits_panel(
    state: DashboardState, tz: tzinfo | None, *, rows: int | None, bar_width: int
) -> RenderableType:
    """The active account's windows, at most `rows` of them (None: all)."""
    if state.limits is None:
        return Text("Limits: reading…", style="dim")
    active = next((lim for lim in state.limits if lim.active), None)
    if active is None:
        return Text("Limits: no active account", style="dim")
    if active.problem:
        return Text(f"Limits: {active.problem}", style="yellow")
    if active.snapshot is None:
        return Text("Limits: none reported", style="dim")
    lines = render.limit_lines(active.snapshot, state.now, tz)
    return limit_table(lines[:rows] if rows is not None else lines, bar_width)


def recent_panel(state: DashboardState, tz: tzinfo | None, rows: int) -> RenderableType:
    """The last `rows` requests, newest first; /logs has them all, in full."""
    if not state.recent:
        return Text("No requests yet: point Claude Code at the gateway (y copies the exports).")
    table = Table.grid(padding=(0, 2))
    for justify in ("left", "left", "left", "left", "right", "right", "right"):
        table.add_column(justify=justify, no_wrap=True)
    table.columns[2].overflow = "ellipsis"
    for entry in state.recent[:rows]:
        table.add_row(*render.request_cells(entry, tz))
    return table


def limit_table(lines: Sequence[render.LimitLine], bar_width: int) -> RenderableType:
    if not lines:
        return Text("Limits: none reported", style="dim")
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(style="dim", no_wrap=True, overflow="ellipsis")
    for line in lines:
        colour = "red" if line.exhausted else "yellow" if line.left_percent < 20 else "green"
        table.add_row(
            line.label,
            Text(render.bar(line.left_percent, bar_width), style=colour),
            f"{line.left_percent}% left",
            line.reset,
        )
    return table

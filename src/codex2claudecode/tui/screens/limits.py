"""/limits: every account's every window, with bars and reset times; r reads them again."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from codex2claudecode.backends.base import AccountLimits
from codex2claudecode.errors import GatewayError
from codex2claudecode.tui import render
from codex2claudecode.tui.screens.panel import Panel
from codex2claudecode.tui.session import Session
from codex2claudecode.tui.widgets.dashboard import limit_table

COMMAND = "limits"


class LimitsScreen(Panel):
    heading = "Limits"
    keys = "r read again · ↑/↓ scroll · Esc back"
    BINDINGS = [Binding("r", "reload", "Read again")]

    def body(self) -> ComposeResult:
        with VerticalScroll(id="limits-scroll"):
            yield Static(id="limits-body")

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.note(f"Asking {self.session.provider_name} for every account's limits…")
        self._load()

    @work(exclusive=True)
    async def _load(self) -> None:
        try:
            found = await self.session.router.limits()
        except (GatewayError, OSError) as exc:
            self.note(f"Cannot read the limits: {exc}", error=True)
            return
        wide = self.app.size.width >= 120
        body = limits_view(found, self.session, bar_width=30 if wide else 14)
        self.query_one("#limits-body", Static).update(body)
        self.note(f"{len(found)} accounts.", done=True)


def limits_view(found: list[AccountLimits], session: Session, *, bar_width: int) -> RenderableType:
    if not found:
        return Text("No accounts: /connect adds one.")
    now = session.clock()
    parts: list[RenderableType] = []
    for lim in found:
        title = Text(("● " if lim.active else "  ") + render.account_title(lim), style="bold")
        parts.append(title)
        if lim.problem:
            parts.append(Text("  " + lim.problem, style="yellow"))
        elif lim.snapshot is not None:
            parts.append(limit_table(render.limit_lines(lim.snapshot, now, session.tz), bar_width))
            credits = render.credits_text(lim.snapshot)
            if credits:
                parts.append(Text("  " + credits, style="dim"))
        parts.append(Text(""))
    return Group(*parts)


def screen(session: Session) -> Panel:
    return LimitsScreen(session)

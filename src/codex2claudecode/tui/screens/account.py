"""/account: every account of the active provider with its e-mail, plan and limit state;
Enter makes one active, and the next request runs on it."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import DataTable

from codex2claudecode.backends.base import AccountLimits
from codex2claudecode.errors import GatewayError
from codex2claudecode.tui import accounts, render
from codex2claudecode.tui.accounts import AccountRow
from codex2claudecode.tui.blocking import off_loop
from codex2claudecode.tui.screens.panel import Panel
from codex2claudecode.tui.session import Session

COMMAND = "account"


class AccountScreen(Panel):
    heading = "Switch account"
    keys = "↑/↓ choose · Enter use it · Esc back"

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self._rows: list[AccountRow] = []

    def body(self) -> ComposeResult:
        table: DataTable[str] = DataTable(id="accounts", cursor_type="row", zebra_stripes=True)
        table.add_columns(" ", "Account", "Plan", "State", "Limits")
        yield table

    def on_mount(self) -> None:
        self.note(f"Reading the {self.session.provider_name} accounts…")
        self._load()

    @work(exclusive=True)
    async def _load(self) -> None:
        session = self.session
        try:
            self._rows = await off_loop(
                accounts.rows, session.config, session.provider, session.clock()
            )
        except (GatewayError, OSError) as exc:
            self.note(f"Cannot read the accounts: {exc}", error=True)
            return
        if not self._rows:
            self.note("No accounts yet: /connect adds one.")
            return
        self._fill({})
        self.note("Reading limits…")
        try:
            found = await session.router.limits()
        except (GatewayError, OSError) as exc:
            self.note(f"Limits unavailable: {exc}", error=True)
            return
        self._fill({lim.key: lim for lim in found})
        self.note(f"{len(self._rows)} {session.provider_name} accounts; ● marks the active one.")

    def _fill(self, limits: dict[str, AccountLimits]) -> None:
        table = self.query_one("#accounts", DataTable)
        table.clear()
        now = self.session.clock()
        for row in self._rows:
            found = limits.get(row.key)
            table.add_row(
                "●" if row.active else " ",
                row.name,
                row.plan,
                row.state if row.problem is None else f"{row.state}: {row.problem}",
                render.limit_summary(found, now) if found else "…",
                key=row.key,
            )
        active = next((i for i, row in enumerate(self._rows) if row.active), 0)
        table.move_cursor(row=active)
        table.focus()

    @on(DataTable.RowSelected, "#accounts")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self._use(event.row_key.value)

    @work(exclusive=True, group="use")
    async def _use(self, key: str) -> None:
        session = self.session
        row = next((r for r in self._rows if r.key == key), None)
        name = row.name if row else key
        self.note(f"Switching to {name}…")
        try:
            chosen = await off_loop(accounts.use, session.config, session.provider, key)
        except (GatewayError, OSError) as exc:
            self.note(f"Cannot switch to {name}: {exc}", error=True)
            return
        session.accounts_changed()
        message = f"Now using {name}: the next request runs on it."
        note = accounts.override_note(session.config, session.provider, chosen, name)
        self.finish(f"{message} {note}" if note else message)


def screen(session: Session) -> Panel:
    return AccountScreen(session)

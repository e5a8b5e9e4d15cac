"""The TUI driven headlessly by Textual's Pilot against fake upstreams."""

from __future__ import annotations

from textual.pilot import Pilot

from codex2claudecode.tui.app import GatewayApp
from tests.tui.conftest import Harness


async def settle(pilot: Pilot[int], app: GatewayApp) -> None:
    """Wait for the first reads of the dashboard's state (a hang fails by the test timeout)."""
    while app.status_reads == 0 or app.limits_reads == 0 or app.state.listener != "listening":
        await pilot.pause(0.05)


async def test_dashboard_shows_the_account_and_limits(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert app.state.account.startswith("acct-a@example.com")
        assert app.state.upstream == "ok"
        assert app.state.limits is not None and len(app.state.limits) == 2
        await pilot.press("ctrl+c")
    assert app.return_code == 0
